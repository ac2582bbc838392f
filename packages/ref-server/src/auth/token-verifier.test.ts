import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError } from '@wse/core-client/protocol';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from './dev-token';
import { MAX_TOKEN_LENGTH, TokenVerifier } from './token-verifier';

const SECRET = 'current-secret-0123456789abcdef';
const NOW = 1_700_000_000_000;
const nowSec = NOW / 1000;
const enc = (s: string) => new TextEncoder().encode(s);

function hs256(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(enc(secret));
}
const valid = (extra: JWTPayload = {}) => ({ sub: 'alice', iat: nowSec, exp: nowSec + 600, ...extra });
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function rejection(p: Promise<unknown>): Promise<AuthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  return err as AuthError;
}

describe('TokenVerifier HS256', () => {
  const verifier = new TokenVerifier({ secret: SECRET }, { now: () => NOW });

  it('accepts a valid token and maps sub, exp and claims', async () => {
    const v = await verifier.verify(await hs256(valid({ role: 'admin' })));
    expect(v.userId).toBe('alice');
    expect(v.expiresAt).toBe((nowSec + 600) * 1000);
    expect(v.claims.role).toBe('admin');
    expect(v.topics).toBeUndefined();
  });

  it('reports AUTH_EXPIRED past exp + 30 s leeway', async () => {
    const err = await rejection(verifier.verify(await hs256(valid({ exp: nowSec - 31 }))));
    expect(err.code).toBe('AUTH_EXPIRED');
  });

  it('accepts a token expired within the leeway', async () => {
    const v = await verifier.verify(await hs256(valid({ exp: nowSec - 25 })));
    expect(v.userId).toBe('alice');
  });

  it('honours a custom leeway', async () => {
    const strict = new TokenVerifier({ secret: SECRET, leewaySec: 0 }, { now: () => NOW });
    expect((await rejection(strict.verify(await hs256(valid({ exp: nowSec - 1 }))))).code).toBe(
      'AUTH_EXPIRED',
    );
  });

  it('rejects a token without exp', async () => {
    const err = await rejection(verifier.verify(await hs256({ sub: 'alice' })));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('exp');
  });

  it('rejects a token without sub, and an empty sub', async () => {
    const err = await rejection(verifier.verify(await hs256({ exp: nowSec + 60 })));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('sub');
    expect((await rejection(verifier.verify(await hs256(valid({ sub: '' }))))).code).toBe('AUTH_FAILED');
  });

  it('rejects a not-yet-valid token (nbf beyond leeway)', async () => {
    expect((await rejection(verifier.verify(await hs256(valid({ nbf: nowSec + 120 }))))).code).toBe(
      'AUTH_FAILED',
    );
  });

  it('rejects alg "none"', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(valid())}.`;
    const err = await rejection(verifier.verify(token));
    expect(err.code).toBe('AUTH_FAILED');
  });

  it('rejects an algorithm that is not configured (HS512 with the right secret)', async () => {
    const token = await new SignJWT(valid()).setProtectedHeader({ alg: 'HS512' }).sign(enc(SECRET));
    const err = await rejection(verifier.verify(token));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('algorithm');
  });

  it('rejects a token signed with another secret', async () => {
    const err = await rejection(verifier.verify(await hs256(valid(), 'some-other-secret')));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('signature');
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await hs256(valid())).split('.');
    const err = await rejection(verifier.verify(`${h}.${b64(valid({ sub: 'mallory' }))}.${s}`));
    expect(err.code).toBe('AUTH_FAILED');
  });

  it('rejects garbage without throwing anything but AuthError', async () => {
    for (const junk of ['', 'x', 'a.b.c', '...', 'ey.ey.ey', '\u0000\u0001', '{"alg":"HS256"}']) {
      expect((await rejection(verifier.verify(junk))).code).toBe('AUTH_FAILED');
    }
    expect((await rejection(verifier.verify(42 as unknown as string))).code).toBe('AUTH_FAILED');
  });

  it('rejects an oversize token before parsing it', async () => {
    const big = `${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`;
    const err = await rejection(verifier.verify(big));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('larger');
    // A validly signed but oversize token is rejected too: size is checked first.
    const padded = await hs256(valid({ pad: 'x'.repeat(MAX_TOKEN_LENGTH) }));
    expect((await rejection(verifier.verify(padded))).message).toContain('larger');
  });
});

describe('TokenVerifier issuer / audience', () => {
  const verifier = new TokenVerifier(
    { secret: SECRET, issuer: 'https://id.example', audience: 'wse' },
    { now: () => NOW },
  );

  it('accepts matching iss and aud (aud may be an array)', async () => {
    await expect(
      verifier.verify(await hs256(valid({ iss: 'https://id.example', aud: 'wse' }))),
    ).resolves.toMatchObject({
      userId: 'alice',
    });
    await expect(
      verifier.verify(await hs256(valid({ iss: 'https://id.example', aud: ['other', 'wse'] }))),
    ).resolves.toMatchObject({ userId: 'alice' });
  });

  it('rejects a wrong audience and a missing audience', async () => {
    const err = await rejection(
      verifier.verify(await hs256(valid({ iss: 'https://id.example', aud: 'billing' }))),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('aud');
    expect((await rejection(verifier.verify(await hs256(valid({ iss: 'https://id.example' }))))).code).toBe(
      'AUTH_FAILED',
    );
  });

  it('rejects a wrong issuer', async () => {
    const err = await rejection(
      verifier.verify(await hs256(valid({ iss: 'https://evil.example', aud: 'wse' }))),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('iss');
  });
});

describe('TokenVerifier secret rotation', () => {
  const verifier = new TokenVerifier({ secret: SECRET, previousSecret: 'old-secret' }, { now: () => NOW });

  it('accepts tokens signed with the current or the previous secret', async () => {
    expect((await verifier.verify(await hs256(valid()))).userId).toBe('alice');
    expect((await verifier.verify(await hs256(valid({ sub: 'bob' }), 'old-secret'))).userId).toBe('bob');
  });

  it('still rejects a third secret, and an expired old-secret token stays AUTH_EXPIRED', async () => {
    expect((await rejection(verifier.verify(await hs256(valid(), 'third')))).code).toBe('AUTH_FAILED');
    const expired = await hs256(valid({ exp: nowSec - 60 }), 'old-secret');
    expect((await rejection(verifier.verify(expired))).code).toBe('AUTH_EXPIRED');
  });

  it('without previousSecret the old one is rejected', async () => {
    const plain = new TokenVerifier({ secret: SECRET }, { now: () => NOW });
    expect((await rejection(plain.verify(await hs256(valid(), 'old-secret')))).code).toBe('AUTH_FAILED');
  });
});

describe('TokenVerifier.verifyNow (synchronous HS256 path)', () => {
  const verifier = new TokenVerifier({ secret: SECRET, previousSecret: 'old-secret' }, { now: () => NOW });

  it('accepts exactly what verify accepts, without a promise', async () => {
    const token = await hs256(valid({ role: 'admin', wse_topics: { allow: ['room:*'] } }));
    const now = verifier.verifyNow(token);
    expect(now).toEqual(await verifier.verify(token));
    expect(now?.userId).toBe('alice');
    expect(verifier.verifyNow(await hs256(valid({ sub: 'bob' }), 'old-secret'))?.userId).toBe('bob');
    const typed = await new SignJWT(valid())
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'k1' })
      .sign(enc(SECRET));
    expect(verifier.verifyNow(typed)?.userId).toBe('alice');
  });

  it('declines (undefined) everything else, so verify gives the exact error', async () => {
    const [h, p, s] = (await hs256(valid())).split('.');
    const declined = [
      await hs256(valid(), 'third'),
      await hs256(valid({ exp: nowSec - 60 })),
      await hs256({ sub: 'alice' }),
      await hs256(valid({ sub: '' })),
      await hs256(valid({ aud: 'x', wse_topics: 'bad' })),
      `${h}.${b64({ ...valid(), sub: 'mallory' })}.${s}`,
      `${h}.${p}.${s}A`,
      `${h}.${p}`,
      `${b64({ alg: 'HS256', crit: ['b64'], b64: false })}.${p}.${s}`,
      `${b64({ alg: 'none' })}.${p}.`,
      'not a token',
      '',
    ];
    for (const token of declined) expect(verifier.verifyNow(token as string)).toBeUndefined();
    expect((await rejection(verifier.verify(declined[1] as string))).code).toBe('AUTH_EXPIRED');
  });

  it('is off without an HS256 secret in the allow-list', async () => {
    const token = await hs256(valid());
    const hsOnly = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'] }, { now: () => NOW });
    expect(hsOnly.verifyNow(token)).toBeDefined();
    const { publicKey } = await generateKeyPair('ES256');
    const esOnly = new TokenVerifier({ publicKey: await exportSPKI(publicKey) });
    expect(esOnly.verifyNow(token)).toBeUndefined();
  });
});

describe('TokenVerifier wse_topics claim', () => {
  const verifier = new TokenVerifier({ secret: SECRET }, { now: () => NOW });

  it('validates the claim into topics, filling defaults', async () => {
    const v = await verifier.verify(
      await hs256(valid({ wse_topics: { allow: ['room:*'], deny: ['room:admin'] } })),
    );
    expect(v.topics).toEqual({ allow: ['room:*'], deny: ['room:admin'] });
    const onlyDeny = await verifier.verify(await hs256(valid({ wse_topics: { deny: ['secret:*'] } })));
    expect(onlyDeny.topics).toEqual({ allow: ['*'], deny: ['secret:*'] });
  });

  it('rejects a malformed claim instead of ignoring it', async () => {
    for (const bad of ['room:*', ['room:*'], { allow: 'room:*' }, { allow: [1] }, { deny: [''] }, null]) {
      expect((await rejection(verifier.verify(await hs256(valid({ wse_topics: bad }))))).code).toBe(
        'AUTH_FAILED',
      );
    }
  });
});

describe('TokenVerifier RS256 via PEM', () => {
  it('verifies RS256 and refuses HS256 forged with the public key as secret', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const pem = await exportSPKI(publicKey);
    const verifier = new TokenVerifier({ publicKey: pem }, { now: () => NOW });
    expect(verifier.acceptedAlgorithms).toEqual(['RS256']);
    const token = await new SignJWT(valid()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect((await verifier.verify(token)).userId).toBe('alice');
    // Classic algorithm-confusion attack: HMAC keyed with the PEM text.
    const forged = await hs256(valid(), pem);
    expect((await rejection(verifier.verify(forged))).code).toBe('AUTH_FAILED');
    const other = await generateKeyPair('RS256');
    const wrongKey = await new SignJWT(valid()).setProtectedHeader({ alg: 'RS256' }).sign(other.privateKey);
    expect((await rejection(verifier.verify(wrongKey))).code).toBe('AUTH_FAILED');
  });

  it('throws at construction for a bad PEM or conflicting settings', () => {
    expect(() => new TokenVerifier({ publicKey: 'not a key' })).toThrow(/auth\.publicKey/);
    expect(() => new TokenVerifier({})).toThrow(/auth\.secret/);
    expect(() => new TokenVerifier({ secret: SECRET, algorithms: ['RS256'] })).toThrow(/RS256/);
    expect(() => new TokenVerifier({ previousSecret: 'x', jwksUrl: 'http://127.0.0.1/' })).toThrow(
      /previousSecret/,
    );
  });
});

describe('TokenVerifier ES256 via a JWKS endpoint', () => {
  let server: Server;
  let url: string;
  let requests = 0;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;

  beforeAll(async () => {
    keys = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies an ES256 token whose kid is in the set', async () => {
    const verifier = new TokenVerifier({ jwksUrl: url, audience: 'wse' }, { now: () => NOW });
    const token = await new SignJWT(valid({ aud: 'wse' }))
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(keys.privateKey);
    expect((await verifier.verify(token)).userId).toBe('alice');
    expect(requests).toBeGreaterThan(0);
  });

  it('rejects an unknown kid, a foreign key, and HS256 (not configured)', async () => {
    const verifier = new TokenVerifier({ jwksUrl: url }, { now: () => NOW });
    const other = await generateKeyPair('ES256');
    const unknownKid = await new SignJWT(valid())
      .setProtectedHeader({ alg: 'ES256', kid: 'nope' })
      .sign(keys.privateKey);
    expect((await rejection(verifier.verify(unknownKid))).code).toBe('AUTH_FAILED');
    const foreign = await new SignJWT(valid())
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(other.privateKey);
    expect((await rejection(verifier.verify(foreign))).code).toBe('AUTH_FAILED');
    expect((await rejection(verifier.verify(await hs256(valid())))).code).toBe('AUTH_FAILED');
  });

  it('maps an unreachable JWKS endpoint to AUTH_FAILED with a cause', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const verifier = new TokenVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks` }, { now: () => NOW });
    const token = await new SignJWT(valid())
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(keys.privateKey);
    const err = await rejection(verifier.verify(token));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.cause).toBeDefined();
  });
});

describe('mintDevToken', () => {
  it('mints a token the verifier accepts, with iss/aud when asked', async () => {
    const token = await mintDevToken(SECRET, 'dev-user', 60, { audience: 'wse', issuer: 'dev', now: NOW });
    const v = await new TokenVerifier(
      { secret: SECRET, audience: 'wse', issuer: 'dev' },
      { now: () => NOW },
    ).verify(token);
    expect(v.userId).toBe('dev-user');
    expect(v.expiresAt).toBe(NOW + 60_000);
    expect(v.claims.iat).toBe(nowSec);
  });

  it('defaults to a one-hour lifetime and validates its inputs', async () => {
    const token = await mintDevToken(SECRET, 'u');
    const { exp, iat } = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as {
      exp: number;
      iat: number;
    };
    expect(exp - iat).toBe(3600);
    await expect(mintDevToken('', 'u')).rejects.toThrow(/secret/);
    await expect(mintDevToken(SECRET, '')).rejects.toThrow(/sub/);
    await expect(mintDevToken(SECRET, 'u', 0)).rejects.toThrow(/ttlSec/);
  });
});
