// Load generator worker: many WebSocket connections over plain `net` sockets in one thread.
// Speaks three dialects after the upgrade:
//   raw  — uWebSockets.js / ws servers: subscribed by the server on open, payload is the message
//   sio  — engine.io v4 + socket.io v5 packets over websocket (`0{..}` open, `40`, `42[..]`, `2`/`3`)
//   wse  — WSE v1: server_ready → client_hello → server_hello → subscription_update
// Hot path (fan-out counting) never decodes a string: it finds `"bseq":` in the frame bytes, parses
// the sequence number and the `bts` send timestamp (µs since epoch), and records latency.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { newHist, record } from './histogram.mjs';
import {
  clientFrame,
  findSeq,
  headEnd,
  OP_BINARY,
  OP_CLOSE,
  OP_CONT,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  parseFrames,
  readUInt,
  upgradeRequest,
} from './ws-wire.mjs';

const { index, sab, slots } = workerData;
// Shared counters the parent reads without messaging: [deliveries, minSeq, ready, closed].
const shared = new Float64Array(sab, index * slots * 8, slots);

const READ_BUF = Buffer.allocUnsafe(256 * 1024);
const S_UPGRADE = 0;
const S_HANDSHAKE = 1;
const S_READY = 2;
const S_CLOSED = 3;

const timeOrigin = performance.timeOrigin;
const nowUs = () => Math.round((timeOrigin + performance.now()) * 1000);

let conns = [];
let deliveries = 0;
let gaps = 0;
let dups = 0;
let closedUnexpected = 0;
let hist = newHist();
let nowStamp = 0; // µs, taken once per read
let lastScan = -1; // deliveries count at the last min-seq scan
let rtt = null; // { deadline, hist, count, outstanding, done }
const num = { next: 0 };

const PONG_FRAME_EMPTY = clientFrame(OP_PONG, Buffer.alloc(0));

function send(conn, data) {
  if (conn.state !== S_CLOSED) conn.sock.write(clientFrame(OP_TEXT, data));
}

// ---------- per-frame handling ----------

function onFrame(conn, op, buf, s, e) {
  if (op === OP_TEXT || op === OP_BINARY || op === OP_CONT) {
    if (conn.state === S_READY) {
      if (rtt !== null && conn.rttSentAt > 0 && isRttReply(conn, buf, s, e)) return onRttReply(conn);
      const i = findSeq(buf, s, e, conn.hint);
      if (i >= 0) return onPublication(conn, buf, s, e, i);
      return onControl(conn, buf.toString('utf8', s, e));
    }
    return onHandshake(conn, buf.toString('utf8', s, e));
  }
  if (op === OP_PING) {
    conn.sock.write(s === e ? PONG_FRAME_EMPTY : clientFrame(OP_PONG, Buffer.from(buf.subarray(s, e))));
  } else if (op === OP_CLOSE) {
    conn.closeCode = e - s >= 2 ? (buf[s] << 8) | buf[s + 1] : 1005;
    conn.sock.destroy();
  }
  // OP_PONG: ignored
}

function onPublication(conn, buf, s, e, i) {
  conn.hint = i - s;
  for (;;) {
    const seq = readUInt(buf, i + 7, e, num);
    const ts = readUInt(buf, num.next + 7, e, num); // skip `,"bts":`
    deliveries++;
    conn.count++;
    const last = conn.lastSeq;
    if (seq === last + 1) conn.lastSeq = seq;
    else if (seq > last + 1) {
      gaps += seq - last - 1;
      conn.lastSeq = seq;
    } else dups++;
    if (ts > 0) record(hist, nowStamp - ts);
    if (conn.track) trackPosition(conn, buf.toString('utf8', s, e));
    // A batch frame carries several publications: look again only when a lot of frame is left.
    if (e - num.next < 200) return;
    const j = buf.subarray(num.next, e).indexOf('"bseq":');
    if (j < 0) return;
    i = num.next + j;
  }
}

function trackPosition(conn, text) {
  try {
    const env = JSON.parse(text);
    if (typeof env.e === 'string' && typeof env.o === 'number')
      conn.position = { epoch: env.e, offset: env.o };
  } catch {
    // not JSON (socket.io packet): no recovery position
  }
}

function isRttReply(conn, buf, s, e) {
  if (conn.proto === 'raw') return true;
  if (conn.proto === 'sio') return buf[s] === 52 && buf[s + 1] === 51; // "43"
  return buf.subarray(s, e).indexOf('"cid"') >= 0;
}

function onControl(conn, text) {
  if (conn.proto === 'sio') {
    if (text === '2') send(conn, '3');
    return;
  }
  if (conn.proto !== 'wse' || text.charCodeAt(0) !== 123) return;
  let env;
  try {
    env = JSON.parse(text);
  } catch {
    return;
  }
  const t = env.t ?? env.type;
  if (t === 'ping') {
    send(
      conn,
      JSON.stringify({ t: 'PONG', p: { server_time: env.p?.server_time, client_timestamp: Date.now() } }),
    );
  } else if (t === 'subscription_update' && conn.awaitSub) {
    finishSubscribe(conn, env);
  } else if (t === 'error') {
    conn.lastError = env.p;
  }
}

// ---------- handshakes ----------

function onHandshake(conn, text) {
  if (conn.proto === 'sio') {
    if (text.charCodeAt(0) === 48) {
      send(conn, '40'); // engine.io open → socket.io CONNECT to "/"
    } else if (text.startsWith('40')) {
      markReady(conn);
    } else if (text === '2') {
      send(conn, '3');
    } else if (text.startsWith('44')) {
      fail(conn, `socket.io connect error ${text}`);
    }
    return;
  }
  // wse
  let env;
  try {
    env = JSON.parse(text);
  } catch {
    return fail(conn, `handshake: not JSON: ${text.slice(0, 80)}`);
  }
  const t = env.t ?? env.type;
  if (t === 'server_ready') {
    conn.tServerReady = performance.now();
    send(
      conn,
      JSON.stringify({
        t: 'client_hello',
        p: {
          client_version: 'wse-bench/0.1',
          protocol_version: 1,
          // compression: true like @wse/core-client's default (threshold 1024). Since the E2E v2
          // merge the server gives a client that says `false` its own frame per publication
          // (never a shared frame that could be C:), i.e. per-connection sends instead of uWS's
          // publish: ~20x less fan-out. The bench measures the common client; no bench frame
          // reaches the 1024-byte threshold, so the bytes on the wire are the same.
          features: { compression: true, encryption: false, msgpack: false, batching: false },
        },
      }),
    );
  } else if (t === 'server_hello') {
    conn.hello = env.p;
    if (conn.subscribe) startSubscribe(conn);
    else markReady(conn);
  } else if (t === 'subscription_update' && conn.awaitSub) {
    finishSubscribe(conn, env);
  } else if (t === 'error') {
    fail(conn, `server error ${JSON.stringify(env.p)}`);
  }
}

function startSubscribe(conn) {
  const p = { action: 'subscribe', topics: [conn.topic] };
  if (conn.recoverFrom) {
    p.recover = true;
    p.recovery = { [conn.topic]: conn.recoverFrom };
  }
  conn.awaitSub = true;
  conn.tSub = performance.now();
  conn.subCount = conn.count;
  // Publications (and replays) may arrive before the reply: treat the connection as ready now.
  markReady(conn);
  send(conn, JSON.stringify({ t: 'subscription_update', p }));
}

function finishSubscribe(conn, env) {
  conn.awaitSub = false;
  conn.subMs = performance.now() - conn.tSub;
  conn.replayed = conn.count - conn.subCount;
  const p = env.p ?? {};
  conn.subReply = { success: p.success, failed: p.failed_topics, recovery: p.recovery };
  if (p.success === false || (Array.isArray(p.failed_topics) && p.failed_topics.length > 0)) {
    conn.subFailed = true;
  }
  conn.pending?.resolveSub?.();
}

function markReady(conn) {
  if (conn.state === S_READY) return;
  conn.state = S_READY;
  conn.readyAt = performance.now();
  shared[2]++;
  conn.pending?.resolveReady?.();
}

function fail(conn, msg) {
  conn.error = msg;
  conn.sock.destroy();
}

// ---------- socket plumbing ----------

function onRead(conn, n, buf) {
  nowStamp = nowUs();
  let b = buf;
  let end = n;
  if (conn.left !== null) {
    b = Buffer.concat([conn.left, buf.subarray(0, n)]);
    end = b.length;
    conn.left = null;
  }
  let off = 0;
  if (conn.state === S_UPGRADE) {
    const h = headEnd(b, end);
    if (h < 0) {
      conn.left = Buffer.from(b.subarray(0, end));
      return;
    }
    const head = b.toString('latin1', 0, h);
    if (!head.startsWith('HTTP/1.1 101')) return fail(conn, `upgrade refused: ${head.split('\r\n')[0]}`);
    off = h;
    if (conn.proto === 'raw') markReady(conn);
    else conn.state = S_HANDSHAKE;
  }
  off = parseFrames(b, off, end, onFrame, conn);
  if (off < end) conn.left = Buffer.from(b.subarray(off, end));
  shared[0] = deliveries;
}

function openConn(opts, i) {
  const conn = {
    proto: opts.proto,
    topic: opts.topic ?? 'bench',
    subscribe: opts.subscribe !== false,
    recoverFrom: opts.recovery?.[i],
    track: opts.track === true,
    state: S_UPGRADE,
    left: null,
    hint: -1,
    count: 0,
    lastSeq: opts.startSeq ?? 0,
    sock: null,
    t0: performance.now(),
    readyAt: 0,
    rttSentAt: 0,
    rid: 0,
    awaitSub: false,
    pending: null,
  };
  const headers = {};
  if (opts.tokens) headers.Authorization = `Bearer ${opts.tokens[i % opts.tokens.length]}`;
  const sock = net.connect({
    host: '127.0.0.1',
    port: opts.port,
    noDelay: true,
    onread: { buffer: READ_BUF, callback: (n, buf) => onRead(conn, n, buf) },
  });
  conn.sock = sock;
  sock.on('connect', () => sock.write(upgradeRequest('127.0.0.1', opts.port, opts.path, headers)));
  sock.on('error', (err) => {
    conn.error ??= err.code ?? err.message;
  });
  sock.on('close', () => {
    const wasReady = conn.state === S_READY;
    conn.state = S_CLOSED;
    if (wasReady && !conn.closing) {
      closedUnexpected++;
      shared[3] = closedUnexpected;
    }
    conn.pending?.rejectReady?.(new Error(conn.error ?? `closed (code ${conn.closeCode ?? '-'})`));
  });
  return conn;
}

/** Opens `count` connections with at most `concurrency` handshakes in flight. */
async function connect(opts) {
  const t0 = performance.now();
  const deadline = t0 + (opts.timeoutMs ?? 30_000);
  const opened = [];
  const errors = {};
  let failed = 0;
  let next = 0;
  const waitSub = opts.subscribe !== false && opts.proto === 'wse';
  async function one() {
    while (next < opts.count && performance.now() < deadline) {
      const i = next++;
      const conn = openConn(opts, opts.offset + i);
      opened.push(conn);
      try {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('handshake timeout')),
            Math.max(1, deadline - performance.now()),
          );
          conn.pending = {
            resolveReady: () => {
              if (!waitSub) {
                clearTimeout(timer);
                resolve();
              }
            },
            resolveSub: () => {
              clearTimeout(timer);
              if (conn.subFailed) reject(new Error(`subscribe failed: ${JSON.stringify(conn.subReply)}`));
              else resolve();
            },
            rejectReady: (err) => {
              clearTimeout(timer);
              reject(err);
            },
          };
        });
      } catch (err) {
        failed++;
        const k = String(err.message).slice(0, 120);
        errors[k] = (errors[k] ?? 0) + 1;
        conn.sock.destroy();
      }
      conn.pending = null;
    }
  }
  const lanes = [];
  for (let k = 0; k < Math.min(opts.concurrency ?? 64, opts.count); k++) lanes.push(one());
  await Promise.all(lanes);
  const elapsedMs = performance.now() - t0;
  const ready = opened.filter((c) => c.state === S_READY);
  conns.push(...ready);
  lastScan = -1;
  shared[1] = minSeq();
  const subMs = ready.filter((c) => c.subMs !== undefined).map((c) => c.subMs);
  return {
    ready: ready.length,
    failed,
    errors,
    elapsedMs,
    subMs,
    replayed: ready.map((c) => c.replayed ?? 0),
    subReplies: ready.slice(0, 3).map((c) => c.subReply),
    hello: ready[0]?.hello,
  };
}

function minSeq() {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < conns.length; i++) {
    const c = conns[i];
    if (c.state === S_READY && c.lastSeq < m) m = c.lastSeq;
  }
  return m === Number.POSITIVE_INFINITY ? -1 : m;
}

setInterval(() => {
  if (deliveries === lastScan) return; // nothing arrived: nothing to rescan
  lastScan = deliveries;
  shared[1] = minSeq();
  shared[0] = deliveries;
}, 2).unref();

// ---------- request/reply ----------

function rttRequest(conn) {
  conn.rid++;
  const body = `{"rid":${conn.rid},"pad":"${'r'.repeat(80)}"}`;
  let text;
  if (conn.proto === 'raw') text = body;
  else if (conn.proto === 'sio') text = `42${conn.rid}["echo",${body}]`;
  else text = `{"t":"bench_echo","p":${body},"cid":"c${conn.rid}"}`;
  conn.rttSentAt = performance.now();
  rtt.outstanding++;
  send(conn, text);
}

function onRttReply(conn) {
  const us = (performance.now() - conn.rttSentAt) * 1000;
  conn.rttSentAt = 0;
  rtt.outstanding--;
  record(rtt.hist, Math.round(us));
  rtt.count++;
  if (performance.now() < rtt.deadline) rttRequest(conn);
  else if (rtt.outstanding === 0) rtt.done();
}

function runRtt({ durationMs, maxConns }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const use = conns.filter((c) => c.state === S_READY).slice(0, maxConns);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      const r = rtt;
      rtt = null;
      for (const c of use) c.rttSentAt = 0;
      resolve({
        hist: Array.from(r.hist),
        count: r.count,
        elapsedMs: performance.now() - t0,
        lost: r.outstanding,
      });
    };
    rtt = { deadline: t0 + durationMs, hist: newHist(), count: 0, outstanding: 0, done: finish };
    const guard = setTimeout(finish, durationMs + 2000);
    if (use.length === 0) return rtt.done();
    for (const c of use) rttRequest(c);
  });
}

// ---------- commands ----------

async function handle(msg) {
  switch (msg.cmd) {
    case 'connect':
      return connect(msg.opts);
    case 'reset':
      // 'hist' starts a new latency window; 'all' also clears loss counters (a new run).
      hist = newHist();
      if (msg.what === 'all') {
        gaps = 0;
        dups = 0;
        closedUnexpected = 0;
        shared[3] = 0;
      }
      return {};
    case 'stats': {
      let behind = 0;
      let lo = Number.POSITIVE_INFINITY;
      let hi = 0;
      for (const c of conns) {
        if (msg.expectSeq !== undefined && c.state === S_READY)
          behind += Math.max(0, msg.expectSeq - c.lastSeq);
        lo = Math.min(lo, c.lastSeq);
        hi = Math.max(hi, c.lastSeq);
      }
      return {
        deliveries,
        gaps,
        dups,
        behind,
        minSeq: conns.length ? lo : -1,
        maxSeq: hi,
        hist: Array.from(hist),
        conns: conns.length,
        open: conns.filter((c) => c.state === S_READY).length,
        closedUnexpected,
      };
    }
    case 'positions':
      return { positions: conns.map((c) => c.position ?? null), lastSeq: conns.map((c) => c.lastSeq) };
    case 'rtt':
      return runRtt(msg);
    case 'close': {
      for (const c of conns) {
        c.closing = true;
        c.sock.destroy();
      }
      conns = [];
      lastScan = -1;
      shared[1] = -1;
      shared[2] = 0;
      return {};
    }
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
}

parentPort.on('message', (msg) => {
  handle(msg).then(
    (r) => parentPort.postMessage({ reqId: msg.reqId, ok: true, result: r }),
    (err) => parentPort.postMessage({ reqId: msg.reqId, ok: false, error: String(err?.stack ?? err) }),
  );
});
