import {
  decodeAnyFrame,
  deriveDirectionalKeys,
  deriveSessionKey,
  E2EChannel,
  type Envelope,
  encodeFrame,
  exportPublicKey,
  generateKeyPair,
  importPublicKey,
  toBytes,
} from '@wse/core-client/protocol';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import type { WSEServerOptions } from '../src/options';
import { WSEServer } from '../src/server';

export const SECRET = 'test-secret-0123456789';

/** Starts a server on 127.0.0.1:0 with quiet logs. */
export async function startServer(
  options: WSEServerOptions = {},
): Promise<{ server: WSEServer; url: string; port: number }> {
  const server = new WSEServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', auth: false, ...options });
  const port = await server.start();
  return { server, port, url: `ws://127.0.0.1:${port}/wse` };
}

/** HS256 token for tests. */
export async function token(
  sub: string,
  o: { expSec?: number; secret?: string; claims?: Record<string, unknown>; aud?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(o.claims ?? {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expSec ?? 3600));
  if (o.aud) jwt = jwt.setAudience(o.aud);
  return jwt.sign(new TextEncoder().encode(o.secret ?? SECRET));
}

/** A decoded frame; `encrypted` tells whether it arrived as `E:`. */
export type Frame = Envelope & { encrypted?: boolean };
type Match = string | ((e: Frame) => boolean);

/**
 * A plain `ws` client that decodes every frame with the shared codec (in order, even for `E:`),
 * and lets a test wait for the next frame matching a type or predicate.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  key?: CryptoKey;
  /** E2E state once `server_hello` is in (v1 or v2, as the server answered). */
  channel?: E2EChannel;
  /** Every inbound frame as it came off the wire. */
  readonly raw: Array<string | Uint8Array> = [];
  /** The plaintext inside every `E:` frame received, in order. */
  readonly inner: Uint8Array[] = [];
  /** Set by `rekey()` until `e2e_rekeyed` arrives. */
  private pendingRekey?: CryptoKeyPair;
  private rekeying = false;
  private sendChain: Promise<void> = Promise.resolve();
  format: 'json' | 'msgpack' = 'json';
  private cursor = 0;
  private waiters: Array<() => void> = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const input = isBinary ? new Uint8Array(data) : data.toString('utf8');
      this.raw.push(input);
      this.chain = this.chain.then(async () => {
        try {
          const ch = this.channel;
          const maxMessageSize = 64 * 1024 * 1024;
          const open = async (b: Uint8Array) => {
            const inner = await (ch as E2EChannel).open(b);
            this.inner.push(inner);
            return inner;
          };
          const options = ch ? { open, maxMessageSize } : { maxMessageSize };
          const env = await decodeAnyFrame(input, options);
          // Adopt the session key before decoding the next frame (everything after server_hello is E:).
          if (env.t === 'server_hello') await this.adoptHello(env);
          if (env.t === 'e2e_rekeyed') await this.adoptRekey(env);
          if (env.t === 'server_ready')
            this.id = String((env.p.details as Record<string, unknown>).connection_id);
          this.frames.push(env);
        } catch (err) {
          this.frames.push({ c: 'WSE', t: '__undecodable', p: { error: String(err) } });
        }
        this.wake();
      });
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        void this.chain.then(() => {
          resolve({ code, reason: reason.toString() });
          this.wake();
        });
      });
    });
    ws.on('error', () => {});
  }

  static async connect(
    url: string,
    o: { headers?: Record<string, string>; waitReady?: boolean } = {},
  ): Promise<TestClient> {
    const ws = new WebSocket(url, { headers: o.headers });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    if (o.waitReady !== false) await client.next('server_ready');
    return client;
  }

  /** Connects and completes the handshake. */
  static async ready(
    url: string,
    hello: Record<string, unknown> = {},
    headers?: Record<string, string>,
  ): Promise<TestClient> {
    const c = await TestClient.connect(url, { headers });
    c.send({ t: 'client_hello', p: { client_version: 'test', protocol_version: 1, ...hello } });
    await c.next('server_hello');
    return c;
  }

  /** Makes the E2E key pair now, so a later `helloEncrypted` sends its hello synchronously. */
  async offerKey(): Promise<void> {
    this.pair = await generateKeyPair();
    this.publicKey = await exportPublicKey(this.pair.publicKey);
  }

  /** Sends client_hello with a fresh E2E public key and waits for the (plaintext) server_hello. */
  async helloEncrypted(extra: Record<string, unknown> = {}): Promise<Frame> {
    if (!this.pair) await this.offerKey();
    this.send({
      t: 'client_hello',
      p: { protocol_version: 1, encryption_public_key: this.publicKey, ...extra },
    });
    return this.next('server_hello');
  }

  pair?: CryptoKeyPair;
  /** Connection id from server_ready. */
  id = '';
  publicKey?: string;

  private async adoptHello(env: Envelope): Promise<void> {
    const features = env.p.features as Record<string, unknown> | undefined;
    if (features?.msgpack) this.format = 'msgpack';
    const serverKey = env.p.encryption_public_key;
    if (this.pair && typeof serverKey === 'string') {
      this.channel = await this.agree(this.pair, serverKey, features?.encryption_version === 2 ? 2 : 1);
    }
  }

  private async agree(pair: CryptoKeyPair, serverKey: string, version: 1 | 2): Promise<E2EChannel> {
    const peer = await importPublicKey(serverKey);
    if (version === 2) {
      const d = await deriveDirectionalKeys(pair.privateKey, peer);
      return new E2EChannel(2, { send: d.c2s, recv: d.s2c });
    }
    this.key = await deriveSessionKey(pair.privateKey, peer);
    return new E2EChannel(1, { send: this.key, recv: this.key });
  }

  /** Starts a key rotation the way a WSE client does (docs-site/protocol §6): `e2e_rekey`, encrypted. */
  async rekey(): Promise<void> {
    if (this.rekeying) return; // one rotation at a time, as docs-site/protocol §6 expects
    this.rekeying = true;
    this.pendingRekey = await generateKeyPair();
    this.send({
      t: 'e2e_rekey',
      p: { encryption_public_key: await exportPublicKey(this.pendingRekey.publicKey) },
    });
  }

  private async adoptRekey(env: Envelope): Promise<void> {
    const pair = this.pendingRekey;
    const ch = this.channel;
    if (!pair || !ch) return;
    this.pendingRekey = undefined;
    // Both directions switch here: later frames are opened, and sealed, under the new keys.
    this.channel = await this.agree(pair, String(env.p.encryption_public_key), ch.version);
    this.rekeying = false; // only now: a rekey sealed under the old keys would meet a busy server
  }

  /** Seals an envelope under the current E2E state without sending it (for replay tests). */
  seal(env: Record<string, unknown>): Promise<Uint8Array> {
    const frame = encodeFrame(env as unknown as Envelope, {
      format: this.format,
      compressionThreshold: Infinity,
    });
    if (!this.channel) throw new Error('no E2E channel');
    return this.channel.seal(toBytes(frame));
  }

  /** Sends an envelope in this client's current format (and encrypted once a key is set). */
  send(env: Record<string, unknown>): void {
    const ch = this.channel;
    const frame = encodeFrame(env as unknown as Envelope, {
      format: this.format,
      compressionThreshold: ch ? Infinity : undefined,
    });
    if (ch) {
      // Sealed now (key and counter fixed in call order), sent in call order.
      const sealing = ch.seal(toBytes(frame));
      this.sendChain = this.sendChain.then(async () => {
        this.ws.send(await sealing);
      });
      return;
    }
    this.ws.send(frame);
  }

  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** Resolves with the next unread frame that matches; earlier non-matching frames stay unread. */
  async next(match: Match, timeoutMs = 3000): Promise<Frame> {
    const test = typeof match === 'string' ? (e: Frame) => e.t === match : match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.frames.length; i++) {
        const f = this.frames[i] as Frame;
        if (test(f)) {
          this.frames.splice(i, 1);
          return f;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timeout waiting for ${typeof match === 'string' ? match : 'frame'}; have ${this.types()}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for an `error` frame with this code. */
  error(code: string, timeoutMs?: number): Promise<Frame> {
    return this.next((e) => e.t === 'error' && e.p.code === code, timeoutMs);
  }

  /** True when nothing matching arrives within `ms`. */
  async quiet(match: Match, ms = 100): Promise<boolean> {
    try {
      await this.next(match, ms);
      return false;
    } catch {
      return true;
    }
  }

  types(): string {
    return this.frames.map((f) => (f.t === 'error' ? `error:${String(f.p.code)}` : f.t)).join(',');
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
