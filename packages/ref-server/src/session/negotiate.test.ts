import { describe, expect, it } from 'vitest';
import {
  buildServerHello,
  buildServerReady,
  negotiateFeatures,
  parseClientHello,
  serverFeatures,
} from './negotiate';

describe('parseClientHello', () => {
  it('fills defaults', () => {
    const r = parseClientHello({});
    expect(r).toEqual({
      ok: true,
      hello: {
        protocolVersion: 1,
        features: { compression: true, encryption: false, msgpack: false, batching: true },
        encryptionVersion: 1,
      },
    });
  });

  it('reads encryption_version 2 and answers it only when encryption is on', () => {
    const r = parseClientHello({ features: { encryption_version: 2 }, encryption_public_key: 'AAAA' });
    if (!r.ok) throw new Error('bad');
    expect(r.hello.encryptionVersion).toBe(2);
    const server = serverFeatures({ recovery: false, presence: false });
    expect(negotiateFeatures(server, r.hello, { encrypted: true, msgpack: false }).encryption_version).toBe(
      2,
    );
    expect(negotiateFeatures(server, r.hello, { encrypted: false, msgpack: false })).not.toHaveProperty(
      'encryption_version',
    );
    const v1 = parseClientHello({ features: { encryption_version: 3 } });
    expect(v1.ok && v1.hello.encryptionVersion).toBe(1);
  });

  it('reads key, token and features', () => {
    const r = parseClientHello({
      client_version: 'x/1',
      protocol_version: 2,
      features: { msgpack: true, compression: false },
      encryption_public_key: 'AAAA',
      token: 't',
    });
    expect(r.ok && r.hello).toMatchObject({
      clientVersion: 'x/1',
      protocolVersion: 2,
      encryptionPublicKey: 'AAAA',
      token: 't',
      features: { msgpack: true, compression: false, encryption: true },
    });
  });

  it.each([
    [{ protocol_version: 0 }, 'protocol_version'],
    [{ protocol_version: '1' }, 'protocol_version'],
    [{ features: [] }, 'features'],
    [{ encryption_public_key: 'x'.repeat(500) }, 'encryption_public_key'],
    [{ token: 5 }, 'token'],
  ])('rejects %j', (p, field) => {
    const r = parseClientHello(p);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain(field);
  });
});

describe('server hello and ready', () => {
  it('negotiates features and the protocol version', () => {
    const server = serverFeatures({ recovery: true, presence: false });
    const parsed = parseClientHello({ protocol_version: 3, features: { batching: false } });
    if (!parsed.ok) throw new Error('bad');
    const features = negotiateFeatures(server, parsed.hello, { encrypted: false, msgpack: true });
    expect(features).toEqual({
      compression: true,
      encryption: false,
      recovery: true,
      presence: false,
      msgpack: true,
      batching: false,
      cluster: false,
    });
    const hello = buildServerHello({
      serverVersion: '1',
      hello: parsed.hello,
      features,
      limits: { maxMessageSize: 10, rateLimit: { capacity: 5, refillPerSec: 1 }, maxSubscriptions: 3 },
      pingInterval: 100,
      connectionId: 'c',
      now: 42,
      publicKey: 'k',
    });
    expect(hello).toMatchObject({
      protocol_version: 1,
      limits: { max_message_size: 10, rate_limit_capacity: 5, rate_limit_refill: 1, max_subscriptions: 3 },
      ping_interval: 100,
      connection_id: 'c',
      server_time: 42,
      encryption_public_key: 'k',
    });
    expect(hello).not.toHaveProperty('encryption_signature');
  });

  it('server_ready carries token_expires_in in seconds', () => {
    const ready = buildServerReady({
      connectionId: 'c',
      userId: 'u',
      now: 1000,
      tokenExpiresAt: 61_500,
      features: serverFeatures({ recovery: false, presence: false }),
    });
    expect(ready.details).toMatchObject({
      version: 1,
      connection_id: 'c',
      user_id: 'u',
      token_expires_in: 60,
    });
  });
});
