import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenVerifier, type VerifiedToken } from './token-verifier';

// Property: the synchronous fast path (`verifyNow`) accepts exactly what jose accepts — never more
// (a wrong accept is a way in), and, for plain HS256 headers, never less (a decline only costs speed,
// but a fast path that declines everything would hide a regression).

const SECRET = 'fast-path-secret-0123456789abcdef';
const OLD = 'previous-secret-0123456789abcdef';
const NOW = 1_700_000_000_000;
const nowSec = NOW / 1000;
const ISS = 'https://id.example';
const AUD = 'wse';
const b64 = (s: string) => Buffer.from(s).toString('base64url');

function sign(headerJson: string, payloadJson: string, secret: string): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const timeClaim = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -120, max: 120 }).map((d) => nowSec + d),
  fc.constantFrom(nowSec + 0.5, nowSec - 30, nowSec - 31, nowSec + 30, nowSec + 31, 1e300, -1, 0),
  fc.constantFrom('soon', null, true, [nowSec + 60], { n: 1 }),
);
const validPayload = { sub: 'alice', exp: nowSec + 60, iss: ISS, aud: AUD };
const payload = fc
  .record(
    {
      sub: fc.oneof(
        fc.constantFrom('alice', '', '__proto__', 'constructor', 'x'.repeat(257)),
        fc.string({ maxLength: 8 }),
        fc.constantFrom(42, null, ['alice']),
      ),
      exp: timeClaim,
      nbf: timeClaim,
      iat: timeClaim,
      iss: fc.constantFrom(ISS, 'https://evil.example', undefined, 7),
      aud: fc.constantFrom(AUD, 'other', [AUD, 'other'], ['other'], [], undefined, 5),
      wse_topics: fc.constantFrom(undefined, { allow: ['a:*'] }, { allow: 'a' }, null),
    },
    { requiredKeys: [] },
  )
  .chain((p) =>
    // Most cases start from a valid claim set and change one claim at most: most of the edge is there.
    fc.oneof(
      fc.constant(p),
      fc
        .constantFrom(...Object.keys(p), 'none')
        .map((k) => (k in p ? { ...validPayload, [k]: p[k as keyof typeof p] } : validPayload)),
      fc.constant(validPayload),
    ),
  );
const fullHeader = fc.record(
  {
    alg: fc.constantFrom('HS256', 'HS256', 'HS256', 'none', 'HS384', 'RS256', 'hs256'),
    typ: fc.constantFrom('JWT', 'at+jwt', 7, undefined),
    kid: fc.constantFrom('k1', '', undefined),
    crit: fc.constantFrom(['b64'], ['exp'], [], 'b64', undefined),
    b64: fc.constantFrom(false, true, 'no', undefined),
    jwk: fc.constantFrom({ kty: 'oct', k: b64(SECRET) }, undefined),
    extra: fc.constantFrom('x', undefined),
  },
  { requiredKeys: ['alg'] },
);
const header = fc.oneof(
  fullHeader,
  fc.record({
    alg: fc.constant('HS256'),
    typ: fc.constantFrom('JWT', undefined),
    kid: fc.constantFrom('k1', undefined),
  }),
);

/** JSON text with the undefined members left out and, sometimes, a duplicate or `__proto__` key. */
function text(obj: Record<string, unknown>, twist: number): string {
  const json = JSON.stringify(obj);
  if (twist === 1) return json.replace(/^\{/, '{"alg":"none",');
  if (twist === 2) return json.replace(/\}$/, ',"alg":"none"}');
  if (twist === 3) return json.replace(/^\{/, '{"__proto__":{"crit":["exp"]},');
  return json;
}

describe('TokenVerifier.verifyNow', () => {
  const verifier = new TokenVerifier(
    { secret: SECRET, previousSecret: OLD, issuer: ISS, audience: AUD, leewaySec: 30 },
    { now: () => NOW },
  );
  const full = (t: string) =>
    (verifier as unknown as { verifyFull(t: string): Promise<VerifiedToken> }).verifyFull(t);
  const joseAccepts = (t: string, secret: string) =>
    jwtVerify(t, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      clockTolerance: 30,
      requiredClaims: ['exp', 'sub'],
      issuer: ISS,
      audience: AUD,
      currentDate: new Date(NOW),
    }).then(
      () => true,
      () => false,
    );

  it('accepts exactly what jose (and the full path) accepts', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        header,
        payload,
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom(SECRET, OLD, 'wrong-secret'),
        async (h, p, twist, secret) => {
          const headerJson = text(h, twist <= 3 ? twist : 0);
          const t = sign(headerJson, JSON.stringify(p), secret);
          const fast = verifier.verifyNow(t);
          const viaFull = await full(t).then(
            (v) => v,
            () => undefined,
          );
          const jose = await joseAccepts(t, secret === 'wrong-secret' ? SECRET : secret);
          if (fast) {
            accepted++;
            // Never more than jose and the full path.
            expect(jose).toBe(true);
            expect(viaFull).toBeDefined();
            expect(fast.userId).toBe(viaFull?.userId);
            expect(fast.expiresAt).toBe(viaFull?.expiresAt);
            expect(fast.topics).toEqual(viaFull?.topics);
          }
          // Full path accepted with a plain header → the fast path must have, too.
          const plain = twist === 0 && Object.keys(h).every((k) => ['alg', 'typ', 'kid'].includes(k));
          if (viaFull && plain) expect(fast).toBeDefined();
          if (viaFull) expect(jose).toBe(true);
        },
      ),
      { numRuns: 600 },
    );
    expect(accepted).toBeGreaterThan(5); // the property is not vacuous
  });

  it('declines crit and b64:false headers even with a matching HMAC (jose refuses them)', async () => {
    const p = JSON.stringify({ sub: 'a', exp: nowSec + 60, iss: ISS, aud: AUD });
    for (const h of [
      { alg: 'HS256', crit: ['exp'], exp: 1 },
      { alg: 'HS256', b64: false, crit: ['b64'] },
    ]) {
      const t = sign(JSON.stringify(h), p, SECRET);
      expect(verifier.verifyNow(t)).toBeUndefined();
      expect(await joseAccepts(t, SECRET)).toBe(false);
    }
  });
});
