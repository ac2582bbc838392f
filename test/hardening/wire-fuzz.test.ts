// Wire fuzzing against a running server (its own process) from many connections at once: random
// shapes of every message type in every encoding and prefix, mutated and truncated frames, deep
// nesting, zlib bombs, oversize frames, interleaved hello/subscribe/publish/close, with and without
// a token. Meanwhile the server publishes a numbered stream to three real @wse/core-client
// bystanders (JSON, msgpack, E2E) and sends broadcasts to everyone. Afterwards, one check each:
// the server is alive and answers HTTP; every bystander got every publication exactly once; every
// hostile connection that sent something invalid got an error or a protocol close code; nothing
// but the auth exchange reached a connection that never authenticated (issue 18 item 1); the
// server's memory is back near its baseline.
import type { ClientOptions, WSEClient } from '@wse/core-client';
import { CloseCode } from '@wse/core-client/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditRecording,
  HostileSocket,
  openSocket,
  type Recording,
  recordClient,
  SECRET,
  sleep,
  token,
  waitFor,
} from './support/clients';
import { framePool, isInvalid, type WireFrame } from './support/fuzz-frames';
import { record } from './support/results';
import { mib, ServerProcess } from './support/server-process';

const SUITE = 'wire-fuzz';
const MAX = 64 * 1024;
const SEED = Number(process.env.WSE_FUZZ_SEED ?? 18);
const DURATION_MS = Number(process.env.WSE_FUZZ_MS ?? 10_000);
const WORKERS = 24;
const PUBLICATIONS = 1000;
const SPEC_CLOSES = new Set<number>(Object.values(CloseCode));

interface Outcome {
  auth: 'header' | 'in-band' | 'none';
  sentInvalid: boolean;
  /** The invalid frames it sent, in short (first bytes and length), to say what went unanswered. */
  invalid: string[];
  answered: boolean;
  closeCode?: number;
  socketError?: string;
  /** It got `server_ready` (header auth at the upgrade, or in-band once its token was checked). */
  authenticated: boolean;
  /** Frames other than `error` that reached a connection that never authenticated. */
  leaked: string[];
}

let srv: ServerProcess;
let baseRss = 0;
const outcomes: Outcome[] = [];
const bystanders: Array<{ client: WSEClient; rec: Recording }> = [];
let framesSent = 0;

function brief(frame: WireFrame): string {
  const b = typeof frame === 'string' ? Buffer.from(frame) : Buffer.from(frame);
  return `${JSON.stringify(b.subarray(0, 12).toString('latin1'))}…(${b.length}B)`;
}

/** One hostile connection: auth mode, a few frames (valid hellos and subscribes mixed in), then an answer check. */
async function hostileRun(pool: WireFrame[], cursor: { i: number }, n: number): Promise<void> {
  const mode = (['header', 'in-band', 'none'] as const)[n % 3] as Outcome['auth'];
  const headers = mode === 'header' ? { authorization: `Bearer ${await token(`h${n}`)}` } : undefined;
  const h = await HostileSocket.open(srv.url, headers).catch(() => undefined);
  if (!h) return;
  const out: Outcome = {
    auth: mode,
    sentInvalid: false,
    invalid: [],
    answered: false,
    authenticated: false,
    leaked: [],
  };
  if (mode === 'in-band') h.sendJson({ t: 'client_hello', p: { token: await token(`h${n}`) } });
  else if (mode === 'header' && n % 2 === 0) h.sendJson({ t: 'client_hello', p: { protocol_version: 1 } });
  if (mode !== 'none' && n % 4 < 2)
    h.sendJson({
      t: 'subscription_update',
      p: { action: 'subscribe', topics: ['pub:a', 'news'], presence: { n } },
    });
  const steps = 2 + (n % 7);
  for (let s = 0; s < steps && h.closeCode === undefined; s++) {
    const frame = pool[cursor.i++ % pool.length] as WireFrame;
    if (isInvalid(frame, MAX)) {
      out.sentInvalid = true;
      out.invalid.push(brief(frame));
    }
    h.send(frame);
    framesSent++;
    if (s % 3 === 2) h.sendJson({ t: 'publish', p: { topic: 'pub:a', data: { t: 'chat', p: { s } } } });
    if (n % 5 === 0) await sleep(5);
  }
  // A sentinel: the answer to everything above has arrived once its PONG (or a close) has.
  h.sendJson({ t: 'ping', p: {}, cid: 'sentinel' });
  await h.waitCid('sentinel', mode === 'none' ? 2500 : 4000);
  out.answered = h.answered();
  out.closeCode = h.closeCode;
  out.socketError = h.socketError;
  out.authenticated = h.types.includes('server_ready');
  if (mode === 'none') out.leaked = h.types.filter((t) => t !== 'error');
  outcomes.push(out);
  if (n % 2 === 0) await h.end(500);
  else h.ws.terminate(); // half of them vanish without a close frame
}

beforeAll(async () => {
  srv = await ServerProcess.start({
    auth: { secret: SECRET, inBandTimeoutMs: 1500 },
    maxMessageSize: MAX,
    maxSubscriptionsPerConnection: 16,
    recovery: { enabled: true, bufferSize: 2048, maxMessages: 2000 },
    presence: { enabled: true, maxDataSize: 512, maxMembers: 200 },
    publishPolicy: [{ topics: 'pub:*', allow: true }],
  });
  const variants: Array<Partial<ClientOptions>> = [{}, { format: 'msgpack' }, { encryption: true }];
  for (const [i, extra] of variants.entries()) {
    const b = await recordClient(srv.url, 'news', { token: () => token(`bystander-${i}`), ...extra });
    bystanders.push(b);
  }
  await sleep(300);
  baseRss = (await srv.mem()).rss;
  const pool = framePool(3000, MAX, SEED);
  await srv.call('pump', { topic: 'news', count: PUBLICATIONS, perTick: 1, intervalMs: 10 });
  const deadline = Date.now() + DURATION_MS;
  const cursor = { i: 0 };
  let n = 0;
  const announcer = setInterval(() => {
    srv
      .call('broadcastAll', { data: { t: 'announcement', p: { secret: 'for authenticated eyes' } } })
      .catch(() => {});
  }, 250);
  const worker = async () => {
    while (Date.now() < deadline) await hostileRun(pool, cursor, n++).catch(() => {});
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  clearInterval(announcer);
  await waitFor(
    () => bystanders.every((b) => b.rec.offsets[b.rec.offsets.length - 1] === PUBLICATIONS - 1),
    20_000,
    'bystanders at the last offset',
  ).catch(() => {});
}, 90_000);

afterAll(async () => {
  for (const b of bystanders) await b.client.close().catch(() => {});
  await srv?.stop();
});

describe('wire fuzzing from many connections', () => {
  it('the server is alive and answers HTTP and new connections', async () => {
    const health = await fetch(`${srv.httpUrl}/health`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.status,
    );
    const ws = await openSocket(srv.url, { authorization: `Bearer ${await token('late')}` });
    ws.terminate();
    record(
      SUITE,
      'campaign',
      {
        connections: outcomes.length,
        frames: framesSent,
        seed: SEED,
        durationS: DURATION_MS / 1000,
        workers: WORKERS,
      },
      { bound: 'server alive, /health 200', passed: srv.alive() && health === 200 },
    );
    expect(srv.alive()).toBe(true);
    expect(health).toBe(200);
    expect(outcomes.length).toBeGreaterThan(100);
  });

  it('well-behaved bystanders (JSON, msgpack, E2E) got every publication exactly once', () => {
    const problems = bystanders.flatMap((b, i) =>
      auditRecording(b.rec, PUBLICATIONS).map((p) => `bystander ${i}: ${p}`),
    );
    const counts = bystanders.map((b) => b.rec.offsets.length);
    record(
      SUITE,
      'bystanders',
      { publications: PUBLICATIONS, json: counts[0] ?? 0, msgpack: counts[1] ?? 0, e2e: counts[2] ?? 0 },
      { bound: 'each: 0..N-1 exactly once, in order', passed: problems.length === 0 },
    );
    expect(problems).toEqual([]);
    for (const b of bystanders)
      expect(b.rec.offsets).toEqual(Array.from({ length: PUBLICATIONS }, (_, i) => i));
  });

  // Decided (test/hardening/README.md): a connection closed before it authenticated (no token, or
  // an in-band one that had no `server_ready` yet — seen on a loaded box) while it is still
  // writing can see 1006 + a reset (ECONNRESET on read, EPIPE on write) instead of the close frame —
  // the kernel answers input the server never read with a reset, which discards the error and close
  // frame already on their way. The reset itself proves the server ended it, so for a connection
  // that never got `server_ready` a reset counts as answered; silence (no error, no close, no reset)
  // still fails, and an authenticated connection must always get its error or close code.
  it('every hostile connection that sent an invalid frame got an error or a protocol close code', () => {
    const invalid = outcomes.filter((o) => o.sentInvalid);
    const resetBeforeAuth = (o: Outcome) => !o.authenticated && /ECONNRESET|EPIPE/.test(o.socketError ?? '');
    const silent = invalid.filter((o) => !o.answered && !resetBeforeAuth(o));
    const badCodes = outcomes.filter(
      (o) => o.closeCode !== undefined && o.closeCode !== 1006 && !SPEC_CLOSES.has(o.closeCode),
    );
    record(
      SUITE,
      'hostile connections answered',
      {
        sentInvalid: invalid.length,
        answered: invalid.length - silent.length,
        nonProtocolCloseCodes: badCodes.length,
      },
      { bound: 'all answered, only §8 close codes', passed: silent.length === 0 && badCodes.length === 0 },
    );
    expect(invalid.length).toBeGreaterThan(50);
    expect(
      silent.map(
        (o) =>
          `${o.auth}${o.authenticated ? ' (ready)' : ''} close=${o.closeCode} error=${o.socketError} sent=${o.invalid.join(' ')}`,
      ),
    ).toEqual([]);
    expect(badCodes).toEqual([]);
  });

  // Issue 18 item 1 — fails until every send path checks authentication: today broadcastAll (and
  // POST /api/broadcast) reaches sockets still waiting for their in-band client_hello token.
  it('nothing but the auth exchange reached a connection that never authenticated (item 1)', () => {
    const none = outcomes.filter((o) => o.auth === 'none');
    const leaked = none.filter((o) => o.leaked.length > 0);
    record(
      SUITE,
      'pre-auth leak',
      {
        unauthenticated: none.length,
        leaked: leaked.length,
        example: leaked[0]?.leaked.slice(0, 3).join(',') ?? '',
      },
      { bound: '0 connections got a non-error frame', passed: leaked.length === 0, item: '1' },
    );
    expect(none.length).toBeGreaterThan(20);
    expect(leaked.map((o) => o.leaked.slice(0, 3).join(','))).toEqual([]);
  });

  it('the server memory is back near its baseline', async () => {
    await sleep(1500); // sockets closed by the server's side (auth timeouts) have gone
    const after = (await srv.mem()).rss;
    const growth = after - baseRss;
    record(
      SUITE,
      'memory after the campaign',
      { baselineMiB: mib(baseRss), afterMiB: mib(after), peakMiB: mib(srv.peakRss()) },
      { bound: 'RSS after GC < baseline + 64 MiB', passed: growth < 64 * 1024 * 1024 },
    );
    expect(growth).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('require_encryption', () => {
  // Issue 18 item 8 — fails until, under require_encryption, nothing but the handshake and errors
  // goes to a connection in plaintext: today a client that never sets up E2E still gets broadcasts.
  it('a connection without E2E gets no broadcast in plaintext; an E2E one gets it (item 8)', async () => {
    const enc = await ServerProcess.start({ auth: false, requireEncryption: true });
    try {
      const plain = await HostileSocket.open(enc.url);
      plain.sendJson({ t: 'client_hello', p: { client_version: 'plain', protocol_version: 1 } });
      await waitFor(() => plain.types.includes('server_hello'), 5000, 'server_hello');
      const e2e = await recordClient(enc.url, 'x', { encryption: true }).catch(() => undefined);
      const got: string[] = [];
      e2e?.client.on('announcement', () => got.push('announcement'));
      await enc.call('broadcastAll', { data: { t: 'announcement', p: { secret: 'e2e only' } } });
      await waitFor(() => got.length > 0, 3000, 'the E2E client to get the broadcast').catch(() => {});
      await sleep(200);
      const leaked = plain.types.filter((t) => t === 'announcement').length;
      record(
        SUITE,
        'require_encryption: plaintext broadcast',
        { plaintextBroadcasts: leaked, e2eReceived: got.length },
        { bound: '0 plaintext, 1 encrypted', passed: leaked === 0 && got.length === 1, item: '8' },
      );
      expect(got).toHaveLength(1);
      expect(leaked).toBe(0);
      await plain.end(200);
      await e2e?.client.close();
    } finally {
      await enc.stop();
    }
  });
});
