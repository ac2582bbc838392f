import { createHmac, createPublicKey, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { AuthError } from '@wse/core-client/protocol';
import {
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
  UnsecuredJWT,
} from 'jose';

/** JWS algorithms the server accepts. Anything else (including `none`) is always rejected. */
export type AuthAlgorithm = 'HS256' | 'RS256' | 'ES256';

/**
 * Token authentication settings (`WSEServerOptions.auth`). At least one key source is required:
 * `secret` (HS256), `publicKey` (PEM SPKI: RSA → RS256, EC P-256 → ES256) or `jwksUrl` (RS256/ES256).
 *
 * @example
 * const auth: AuthOptions = { secret: process.env.WSE_JWT_SECRET, issuer: 'https://id.example.com', audience: 'wse' };
 */
export interface AuthOptions {
  /** HS256 shared secret (UTF-8). */
  secret?: string;
  /** The secret before a rotation; tried only when the current secret's signature check fails. */
  previousSecret?: string;
  /** Allow-list; default: every algorithm some configured key source can verify. */
  algorithms?: AuthAlgorithm[];
  /** PEM-encoded SPKI public key (`-----BEGIN PUBLIC KEY-----`). */
  publicKey?: string;
  /** URL of a JSON Web Key Set (fetched and cached by jose). Not together with `publicKey`. */
  jwksUrl?: string;
  /** Required `iss` claim. */
  issuer?: string;
  /** Required `aud` claim (one of the token's audiences). */
  audience?: string;
  /** Clock tolerance for `exp`/`nbf`/`iat`, seconds (default 30). */
  leewaySec?: number;
  /** Cookie that carries the token (default `access_token`). */
  cookieName?: string;
  /** Accept `?token=` on the upgrade URL (default true; discouraged, it lands in logs). */
  allowQueryToken?: boolean;
  /** How long to wait for an in-band `client_hello.p.token`, ms (default 5000). */
  inBandTimeoutMs?: number;
}

/**
 * The identity a valid token proves.
 *
 * @example
 * const v: VerifiedToken = { userId: 'alice', expiresAt: Date.now() + 60_000, claims: { sub: 'alice' } };
 */
export interface VerifiedToken {
  /** The token's `sub`. */
  userId: string;
  /** `exp` in epoch milliseconds. */
  expiresAt?: number;
  /** Every claim of the token, as decoded. */
  claims: Record<string, unknown>;
  /** The validated `wse_topics` claim; absent = no topic restriction. */
  topics?: { allow: string[]; deny: string[] };
}

/** Tokens longer than this (characters = bytes, a JWS is ASCII) are rejected before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;
/** Upper bound for `sub`, in UTF-16 units. */
const MAX_SUB_LENGTH = 256;
/** Bounds for the `wse_topics` claim so topic checks stay cheap. */
const MAX_ACL_ENTRIES = 256;
const MAX_GLOB_LENGTH = 256;
const DEFAULT_LEEWAY_SEC = 30;

type AsymmetricKey = { alg: 'RS256' | 'ES256'; key: KeyObject };

/** A compact JWS made of base64url segments only (the fast path takes nothing else). */
const COMPACT_CHARS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** `{"alg":"none"}`: carries the already verified payload into jose's own claim checks. */
const NONE_HEADER = 'eyJhbGciOiJub25lIn0';
/** Header parameters the fast path knows to be harmless (no `crit`, no `b64`, no embedded keys). */
const PLAIN_HEADER_KEYS = new Set(['alg', 'typ', 'kid']);
const MAX_CACHED_HEADERS = 32;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies WSE access tokens (JWS compact JWTs) with jose.
 *
 * Rules: the header `alg` must be in the allow-list (`none` never is); `exp` is required, `exp`/`nbf`
 * get `leewaySec` tolerance; `sub` is required and becomes `userId`; `issuer`/`audience` are
 * enforced when configured; `wse_topics` must be `{allow?: string[], deny?: string[]}` (a missing
 * `allow` means "everything", a missing `deny` means "nothing"). Failures throw `AuthError` with code
 * `AUTH_EXPIRED` (past `exp` + leeway) or `AUTH_FAILED` (everything else, including an unreachable
 * JWKS endpoint — the cause is attached). Construction throws a plain `Error` naming the option when
 * the configuration cannot work.
 *
 * @example
 * const verifier = new TokenVerifier({ secret: 'dev-secret', audience: 'wse' });
 * const { userId, topics } = await verifier.verify(token); // throws AuthError on failure
 */
export class TokenVerifier {
  private readonly algorithms: AuthAlgorithm[];
  private readonly secret?: Uint8Array<ArrayBuffer>;
  private readonly previousSecret?: Uint8Array<ArrayBuffer>;
  private readonly asymmetric?: AsymmetricKey;
  private readonly jwks?: JWTVerifyGetKey;
  private readonly baseOptions: JWTVerifyOptions;
  private readonly now: () => number;
  /** HS256 secrets as KeyObjects for the synchronous path ([current, previous?]); none = no fast path. */
  private readonly hmacKeys?: KeyObject[];
  /** The same secrets imported once for jose (jose re-imports raw bytes on every call). */
  private readonly cryptoKeys = new Map<Uint8Array<ArrayBuffer>, Promise<CryptoKey>>();
  /** Encoded protected headers already judged (tokens of one issuer share theirs). */
  private readonly plainHeaders = new Map<string, boolean>();

  constructor(options: AuthOptions, env: { now?: () => number } = {}) {
    this.now = env.now ?? Date.now;
    const enc = new TextEncoder();
    if (options.secret !== undefined) {
      if (typeof options.secret !== 'string' || options.secret.length === 0)
        throw new Error('auth.secret must be a non-empty string');
      this.secret = enc.encode(options.secret);
    }
    if (options.previousSecret !== undefined && options.previousSecret !== '') {
      if (this.secret === undefined) throw new Error('auth.previousSecret needs auth.secret');
      this.previousSecret = enc.encode(options.previousSecret);
    }
    if (options.publicKey !== undefined && options.jwksUrl !== undefined)
      throw new Error('auth: set auth.publicKey or auth.jwksUrl, not both');
    if (options.publicKey !== undefined) this.asymmetric = importPem(options.publicKey);
    if (options.jwksUrl !== undefined) this.jwks = createRemoteJWKSet(parseJwksUrl(options.jwksUrl));
    this.algorithms = resolveAlgorithms(options, this.secret !== undefined, this.asymmetric, !!this.jwks);
    if (this.secret && this.algorithms.includes('HS256')) {
      this.hmacKeys = [createSecretKey(this.secret)];
      if (this.previousSecret) this.hmacKeys.push(createSecretKey(this.previousSecret));
    }
    const leeway = options.leewaySec ?? DEFAULT_LEEWAY_SEC;
    if (!Number.isFinite(leeway) || leeway < 0) throw new Error('auth.leewaySec must be a number >= 0');
    this.baseOptions = {
      algorithms: this.algorithms,
      clockTolerance: leeway,
      requiredClaims: ['exp', 'sub'],
      ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      ...(options.audience !== undefined ? { audience: options.audience } : {}),
    };
  }

  /** The algorithms this verifier accepts (after intersecting with the configured key sources). */
  get acceptedAlgorithms(): readonly AuthAlgorithm[] {
    return this.algorithms;
  }

  /**
   * Verifies `token` and returns the identity it proves.
   *
   * @example
   * try { const v = await verifier.verify(token); console.log(v.userId); }
   * catch (e) { if (e instanceof AuthError && e.code === 'AUTH_EXPIRED') askForRefresh(); }
   */
  async verify(token: string): Promise<VerifiedToken> {
    return this.verifyNow(token) ?? this.verifyFull(token);
  }

  /**
   * The synchronous fast path: an HS256 token with a plain header (`alg`, `typ`, `kid` only) whose
   * HMAC matches is checked here without a promise (node:crypto HMAC, jose's own claim checks).
   * Returns `undefined` for anything else, failures included: `verify` then takes jose's full path,
   * which gives the exact error. It only ever accepts what the full path accepts.
   *
   * @example
   * const v = verifier.verifyNow(token) ?? (await verifier.verify(token));
   */
  verifyNow(token: string): VerifiedToken | undefined {
    const keys = this.hmacKeys;
    if (!keys || typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_CHARS.test(token))
      return undefined;
    const dot1 = token.indexOf('.');
    const dot2 = token.lastIndexOf('.');
    if (!this.isPlainHs256Header(token.slice(0, dot1))) return undefined;
    const signingInput = token.slice(0, dot2);
    const signature = Buffer.from(token.slice(dot2 + 1), 'latin1');
    let matched = false;
    for (const key of keys) {
      // Compared as canonical base64url text: a non-canonical encoding goes the full path.
      const expected = Buffer.from(
        createHmac('sha256', key).update(signingInput, 'latin1').digest('base64url'),
        'latin1',
      );
      if (expected.length === signature.length && timingSafeEqual(expected, signature)) {
        matched = true;
        break;
      }
    }
    if (!matched) return undefined;
    try {
      const options: JWTVerifyOptions = { ...this.baseOptions, currentDate: new Date(this.now()) };
      const { payload } = UnsecuredJWT.decode(`${NONE_HEADER}.${token.slice(dot1 + 1, dot2)}.`, options);
      return toVerified(payload);
    } catch {
      return undefined;
    }
  }

  private async verifyFull(token: string): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token.length === 0) throw fail('token is empty');
    if (token.length > MAX_TOKEN_LENGTH) throw fail(`token is larger than ${MAX_TOKEN_LENGTH} bytes`);
    const options: JWTVerifyOptions = { ...this.baseOptions, currentDate: new Date(this.now()) };
    let payload: JWTPayload;
    try {
      payload = await this.verifyWithRotation(token, options);
    } catch (err) {
      throw toAuthError(err);
    }
    return toVerified(payload);
  }

  private async verifyWithRotation(token: string, options: JWTVerifyOptions): Promise<JWTPayload> {
    try {
      return (await jwtVerify(token, this.keyFor(this.secret), options)).payload;
    } catch (err) {
      // Rotation: only a failed HS256 signature check is worth a second try with the old secret.
      if (!(err instanceof errors.JWSSignatureVerificationFailed) || !this.previousSecret) throw err;
      return (await jwtVerify(token, this.keyFor(this.previousSecret), options)).payload;
    }
  }

  /** Canonical base64url of a JSON object with only `alg: 'HS256'`, `typ`, `kid`; cached per header. */
  private isPlainHs256Header(encoded: string): boolean {
    const known = this.plainHeaders.get(encoded);
    if (known !== undefined) return known;
    let plain = false;
    try {
      const bytes = Buffer.from(encoded, 'base64url');
      if (bytes.toString('base64url') === encoded) {
        const header: unknown = JSON.parse(strictUtf8.decode(bytes));
        plain =
          typeof header === 'object' &&
          header !== null &&
          !Array.isArray(header) &&
          (header as { alg?: unknown }).alg === 'HS256' &&
          Object.keys(header).every((k) => PLAIN_HEADER_KEYS.has(k));
      }
    } catch {
      plain = false;
    }
    if (this.plainHeaders.size < MAX_CACHED_HEADERS) this.plainHeaders.set(encoded, plain);
    return plain;
  }

  /** The secret imported once as an HMAC CryptoKey (jose would import raw bytes on every call). */
  private hmacKey(secret: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
    let key = this.cryptoKeys.get(secret);
    if (!key) {
      key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      this.cryptoKeys.set(secret, key);
    }
    return key;
  }

  /** Routes by header `alg` (already checked against the allow-list by jose before this runs). */
  private keyFor(secret: Uint8Array<ArrayBuffer> | undefined): JWTVerifyGetKey {
    return async (header, input) => {
      if (header.alg === 'HS256' && secret) return this.hmacKey(secret);
      if (this.asymmetric && header.alg === this.asymmetric.alg) return this.asymmetric.key;
      if (this.jwks && (header.alg === 'RS256' || header.alg === 'ES256')) return this.jwks(header, input);
      throw new errors.JOSEAlgNotAllowed(`"alg" (Algorithm) Header Parameter value not allowed`);
    };
  }
}

function fail(message: string, cause?: unknown): AuthError {
  return new AuthError('AUTH_FAILED', message, cause === undefined ? undefined : { cause });
}

function importPem(pem: string): AsymmetricKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error('auth.publicKey is not a PEM public key (SPKI)', { cause: err });
  }
  if (key.asymmetricKeyType === 'rsa') return { alg: 'RS256', key };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return { alg: 'ES256', key };
  throw new Error('auth.publicKey must be an RSA key (RS256) or an EC P-256 key (ES256)');
}

function parseJwksUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`auth.jwksUrl is not a URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('auth.jwksUrl must be http(s)');
  return url;
}

function resolveAlgorithms(
  o: AuthOptions,
  hasSecret: boolean,
  asym: AsymmetricKey | undefined,
  hasJwks: boolean,
): AuthAlgorithm[] {
  const available = new Set<AuthAlgorithm>();
  if (hasSecret) available.add('HS256');
  if (asym) available.add(asym.alg);
  if (hasJwks) {
    available.add('RS256');
    available.add('ES256');
  }
  if (available.size === 0) throw new Error('auth: set one of auth.secret, auth.publicKey or auth.jwksUrl');
  if (o.algorithms === undefined) return [...available];
  if (!Array.isArray(o.algorithms) || o.algorithms.length === 0)
    throw new Error('auth.algorithms must be a non-empty array');
  for (const alg of o.algorithms) {
    if (!available.has(alg))
      throw new Error(`auth.algorithms lists ${String(alg)} but no configured key can verify it`);
  }
  return [...new Set(o.algorithms)];
}

function toAuthError(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof errors.JWTExpired) return new AuthError('AUTH_EXPIRED', 'token expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'sub' || claim === 'exp') return fail(`token has no "${claim}" claim`, err);
    return fail(`token "${claim}" claim check failed`, err);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return fail('token algorithm not allowed', err);
  if (err instanceof errors.JWSSignatureVerificationFailed) return fail('token signature invalid', err);
  if (err instanceof errors.JWKSNoMatchingKey) return fail('no signing key matches the token', err);
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid)
    return fail('signing keys (JWKS) unavailable', err);
  if (err instanceof errors.JOSEError) return fail('token is malformed', err);
  // TypeError from a key/alg mismatch, fetch failures, …: never let them escape as non-auth errors.
  return fail('token could not be verified', err);
}

function toVerified(payload: JWTPayload): VerifiedToken {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw fail('token "sub" claim must be a non-empty string');
  if (sub.length > MAX_SUB_LENGTH) throw fail(`token "sub" claim is longer than ${MAX_SUB_LENGTH}`);
  // jose hands us a fresh object per call: kept as is, no copy per connection.
  const result: VerifiedToken = { userId: sub, claims: payload as Record<string, unknown> };
  if (typeof payload.exp === 'number') result.expiresAt = payload.exp * 1000;
  if (payload.wse_topics !== undefined) result.topics = parseTopicsClaim(payload.wse_topics);
  return result;
}

/** A malformed claim fails the token: silently ignoring it would grant every topic. */
function parseTopicsClaim(raw: unknown): { allow: string[]; deny: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw fail('token "wse_topics" claim must be an object {allow, deny}');
  const claim = raw as Record<string, unknown>;
  const allow = globList(claim.allow, 'allow', ALLOW_ALL);
  const deny = globList(claim.deny, 'deny', NONE);
  // The usual claim (everything allowed, nothing denied) is one shared, frozen object for every connection.
  if (allow === ALLOW_ALL && deny === NONE) return OPEN_ACL;
  return { allow, deny };
}

const ALLOW_ALL = Object.freeze(['*']) as string[];
const NONE = Object.freeze([]) as unknown as string[];
const OPEN_ACL: { allow: string[]; deny: string[] } = Object.freeze({ allow: ALLOW_ALL, deny: NONE });

function globList(value: unknown, name: string, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length > MAX_ACL_ENTRIES)
    throw fail(`token "wse_topics.${name}" must be an array of at most ${MAX_ACL_ENTRIES} globs`);
  for (const g of value) {
    if (typeof g !== 'string' || g.length === 0 || g.length > MAX_GLOB_LENGTH)
      throw fail(`token "wse_topics.${name}" entries must be strings of 1..${MAX_GLOB_LENGTH} characters`);
  }
  if (value.length === 0) return NONE;
  if (value.length === 1 && value[0] === '*') return ALLOW_ALL;
  return [...(value as string[])];
}
