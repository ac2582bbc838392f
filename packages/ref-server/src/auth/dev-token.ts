import { SignJWT } from 'jose';

/**
 * Mints a short-lived HS256 token for local development (`--dev` serves it at `POST /dev/token`).
 * Claims: `sub`, `iat`, `exp` (= now + `ttlSec`), plus `iss`/`aud` when given so the token passes a
 * verifier configured with an issuer/audience. Never use this in production: anyone who can reach
 * the endpoint gets a token.
 *
 * @example
 * const token = await mintDevToken(secret, 'alice');          // valid for one hour
 * const short = await mintDevToken(secret, 'bob', 60, { audience: 'wse' });
 */
export async function mintDevToken(
  secret: string,
  sub: string,
  ttlSec = 3600,
  claims: { issuer?: string; audience?: string; now?: number } = {},
): Promise<string> {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('secret must be non-empty');
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256)
    throw new TypeError('sub must be a string of 1..256 characters');
  if (!Number.isSafeInteger(ttlSec) || ttlSec <= 0) throw new TypeError('ttlSec must be a positive integer');
  const iat = Math.floor((claims.now ?? Date.now()) / 1000);
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSec);
  if (claims.issuer !== undefined) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience !== undefined) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
