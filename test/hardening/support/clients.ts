/**
 * Clients for the hostile suite: a bystander that measures the server's responsiveness by its
 * ping RTT, a raw hostile socket that records every error code and the close code it got, and a
 * recorder around the real `@wse/core-client` that keeps every delivered offset.
 *
 * @module
 */
import { createClient, type WSEClient } from '@wse/core-client';
import { decodeFrame, type Envelope } from '@wse/core-client/protocol';
import { SignJWT } from 'jose';
import WebSocket from 'ws';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `predicate` every 10 ms; rejects naming `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function decode(data: WebSocket.RawData, isBinary: boolean): Envelope | undefined {
  try {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
    return decodeFrame(isBinary ? new Uint8Array(bytes) : bytes.toString('utf8'), {
      maxMessageSize: 64 * 1024 * 1024,
    });
  } catch {
    return undefined;
  }
}

/** Opens a `ws` socket; resolves on open, rejects on error or a refused upgrade. */
export function openSocket(url: string, headers?: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

/**
 * A well-behaved connection that pings the server every `intervalMs` and records each RTT. An
 * unanswered ping counts with its age when {@link PingProbe.stop} is called, so a server frozen
 * for the whole attack still shows up as a huge RTT, not as "no sample".
 *
 * @example
 * ```ts
 * const probe = await PingProbe.start(srv.url);
 * // … attack …
 * const { maxMs } = await probe.stop();
 * ```
 */
export class PingProbe {
  readonly rtts: number[] = [];
  private sentAt = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private n = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const env = decode(data, isBinary);
      if (env?.t !== 'PONG' || typeof env.cid !== 'string') return;
      const t0 = this.sentAt.get(env.cid);
      if (t0 === undefined) return;
      this.sentAt.delete(env.cid);
      this.rtts.push(performance.now() - t0);
    });
    ws.on('error', () => {});
  }

  static async start(url: string, intervalMs = 50, headers?: Record<string, string>): Promise<PingProbe> {
    const ws = await openSocket(url, headers);
    const probe = new PingProbe(ws);
    ws.send(JSON.stringify({ t: 'client_hello', p: { client_version: 'probe', protocol_version: 1 } }));
    probe.timer = setInterval(() => probe.ping(), intervalMs);
    await waitFor(() => probe.rtts.length > 0, 10_000, 'the first PONG of the probe');
    return probe;
  }

  private ping(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // One ping in flight at a time: a frozen server must not pile up thousands of them.
    if (this.sentAt.size > 0) return;
    const cid = `probe-${++this.n}`;
    this.sentAt.set(cid, performance.now());
    this.ws.send(JSON.stringify({ t: 'ping', p: { timestamp: Date.now() }, cid }));
  }

  /** Drops the samples so far (e.g. the warm-up). */
  reset(): void {
    this.rtts.length = 0;
  }

  /** Largest RTT so far, counting an unanswered ping by its age. */
  maxMs(): number {
    const now = performance.now();
    const pending = [...this.sentAt.values()].map((t0) => now - t0);
    return Math.max(0, ...this.rtts, ...pending);
  }

  /** Stops pinging and closes; returns the figures (an unanswered ping counts by its age). */
  async stop(): Promise<{ maxMs: number; p50Ms: number; samples: number }> {
    if (this.timer) clearInterval(this.timer);
    const maxMs = this.maxMs();
    const sorted = [...this.rtts].sort((a, b) => a - b);
    const p50Ms = sorted[Math.floor(sorted.length / 2)] ?? maxMs;
    this.ws.terminate();
    return { maxMs: Math.round(maxMs), p50Ms: Math.round(p50Ms * 10) / 10, samples: this.rtts.length };
  }
}

/**
 * A raw hostile connection: sends whatever it is told, records the error codes it gets back and
 * the close code (1006 when the server dropped it without a close frame).
 *
 * @example
 * ```ts
 * const h = await HostileSocket.open(srv.url);
 * h.ws.send('garbage');
 * await h.settle();
 * expect(h.answered()).toBe(true);
 * ```
 */
export class HostileSocket {
  readonly errors: string[] = [];
  readonly types: string[] = [];
  /** Every decoded frame but heartbeats. */
  readonly frames: Envelope[] = [];
  readonly cids = new Set<string>();
  closeCode: number | undefined;
  /** The first socket-level error the client saw (e.g. ECONNRESET), if any. */
  socketError: string | undefined;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const env = decode(data, isBinary);
      if (!env) return;
      this.types.push(env.t);
      if (typeof env.cid === 'string') this.cids.add(env.cid);
      if (env.t === 'error') this.errors.push(String(env.p.code));
      if (env.t !== 'ping' && env.t !== 'PONG') this.frames.push(env);
    });
    const onError = (err: NodeJS.ErrnoException) => {
      this.socketError ??= err.code ?? err.message;
    };
    ws.on('error', onError);
    // ws swallows errors of its TCP socket once open (ECONNRESET included): listen there too.
    (ws as unknown as { _socket?: { on(e: 'error', l: typeof onError): void } })._socket?.on(
      'error',
      onError,
    );
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async open(url: string, headers?: Record<string, string>): Promise<HostileSocket> {
    return new HostileSocket(await openSocket(url, headers));
  }

  send(frame: string | Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** Sends a JSON envelope. */
  sendJson(env: Record<string, unknown>): void {
    this.send(JSON.stringify(env));
  }

  /** Resolves when a frame with `cid` arrived (or the socket closed); false after `ms`. */
  async waitCid(cid: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.cids.has(cid) && this.closeCode === undefined && Date.now() < deadline) await sleep(10);
    return this.cids.has(cid);
  }

  /** Closes the socket (if still open) and waits at most `ms` for the close to be seen. */
  async end(ms = 2000): Promise<void> {
    if (this.closeCode === undefined) this.ws.close();
    await Promise.race([this.closed, sleep(ms)]);
    if (this.closeCode === undefined) this.ws.terminate();
  }

  /** Got an `error` frame, or a close code the protocol defines (not a silent drop, 1006). */
  answered(): boolean {
    return this.errors.length > 0 || (this.closeCode !== undefined && this.closeCode !== 1006);
  }
}

/** What a {@link recordClient} saw on one topic. */
export interface Recording {
  offsets: number[];
  epochs: string[];
  failed: Array<{ topic: string; epoch: string; offset: number }>;
}

/**
 * A real core client subscribed to `topic` with recovery (the client always recovers on
 * reconnect), recording every delivered `item` and every `recovery_failed`.
 *
 * @example
 * ```ts
 * const { client, rec } = await recordClient(proxy.url, 'feed');
 * ```
 */
export async function recordClient(
  url: string,
  topic: string,
  extra: Partial<Parameters<typeof createClient>[0]> = {},
): Promise<{ client: WSEClient; rec: Recording }> {
  const client = createClient({
    endpoints: url,
    reconnect: { baseMs: 20, maxMs: 250 },
    offline: false,
    ...extra,
  });
  const rec: Recording = { offsets: [], epochs: [], failed: [] };
  client.on('error', () => {});
  client.on('item', (m) => {
    if (m.topic !== undefined && m.topic !== topic) return;
    rec.offsets.push(m.offset as number);
    rec.epochs.push(m.epoch as string);
  });
  client.on('recovery_failed', (ev) => rec.failed.push(ev));
  await client.connect();
  await client.subscribe([topic]);
  return { client, rec };
}

/**
 * Checks a recording against `total` publications: per epoch, offsets strictly increasing (so no
 * duplicate), and every offset of the stream present unless a `recovery_failed` explains the gap
 * (the client re-baselined past it). Returns a list of violations (empty = fine).
 */
export function auditRecording(rec: Recording, total: number): string[] {
  const problems: string[] = [];
  const lastByEpoch = new Map<string, number>();
  let delivered = 0;
  for (let i = 0; i < rec.offsets.length; i++) {
    const epoch = rec.epochs[i] as string;
    const o = rec.offsets[i] as number;
    const last = lastByEpoch.get(epoch);
    // A jump is legal only right after a recovery_failed that re-baselined this epoch to o - 1.
    const explained = rec.failed.some((f) => f.epoch === epoch && f.offset === o - 1);
    if (last !== undefined && o <= last)
      problems.push(`offset ${o} of ${epoch} after ${last} (duplicate/reorder)`);
    else if (last !== undefined && o !== last + 1 && !explained)
      problems.push(`gap ${last}→${o} in ${epoch} without recovery_failed`);
    else if (last === undefined && o !== 0 && !explained)
      problems.push(`epoch ${epoch} starts at ${o} without recovery_failed`);
    lastByEpoch.set(epoch, o);
    delivered++;
  }
  if (rec.failed.length === 0 && lastByEpoch.size === 1 && delivered !== total)
    problems.push(`${delivered} of ${total} delivered, no recovery_failed`);
  return problems;
}

/** The HS256 secret the suite's servers use when auth is on (≥ 32 bytes). */
export const SECRET = 'hardening-secret-0123456789abcdef-0123';

/**
 * An HS256 token for `sub`, valid for an hour, signed with {@link SECRET}.
 *
 * @example
 * ```ts
 * const headers = { authorization: `Bearer ${await token('ada')}` };
 * ```
 */
export function token(sub: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(SECRET));
}
