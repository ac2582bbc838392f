// The four figures of issue 16, each next to its target, with the ratio to raw uWS and to
// Socket.IO on uWS measured in the same run. Features on for each figure are named in `ours`.

/** Median over paired rounds of a.rate / b.rate (both measured in the same round). */
export function pairedMedian(a, b) {
  if (!a?.roundRates || !b?.roundRates || a.roundRates.length !== b.roundRates.length) return null;
  const r = a.roundRates.map((x, i) => x / b.roundRates[i]).sort((x, y) => x - y);
  return r.length ? r[Math.floor((r.length - 1) / 2)] : null;
}

const by = (rows, key = 'target') => new Map(rows.map((r) => [r[key], r]));
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null);
const num = (v) => (typeof v === 'number' ? v : null);

/** @returns {Array<{figure, ours, value, unit, target, met, vsUws, vsSioUws, note}>} */
export function goals(report) {
  const { results } = report;
  const out = [];
  const f100 = by(results.fanout.filter((r) => r.subscribers === 100));
  // The floor: raw uWS sending frames as large as ours, in the same rounds.
  const fanoutRow = (row, figure, ours) => ({
    figure,
    ours,
    value: num(row?.pairedRatioMedian),
    unit: '×',
    target: '≥ 0.85',
    met: typeof row?.pairedRatioMedian === 'number' ? row.pairedRatioMedian >= 0.85 : null,
    vsUws: num(row?.pairedRatioMedian),
    vsSioUws: pairedMedian(row, f100.get('sio-uws')),
    vsFloor: pairedMedian(row, f100.get('uws-245')),
    floorLabel: 'raw uWS with 245-byte frames',
  });
  out.push(
    fanoutRow(
      f100.get('wse'),
      'fan-out, 100 subscribers, × raw uWS (paired median)',
      'WSE, JWT, recovery off',
    ),
    fanoutRow(
      f100.get('wse-rec'),
      'fan-out, 100 subscribers, recovery on, × raw uWS (paired median)',
      'WSE, JWT, recovery on',
    ),
  );
  const mem = by(results.memory);
  const m = mem.get('wse-rec');
  const idle = (r) => r?.idleBytesPerConn ?? r?.bytesPerConn;
  out.push({
    figure: `idle memory per connection (RSS${m?.idleMs ? `, after ${m.idleMs / 1000} s idle` : ''})`,
    ours: 'WSE, JWT, recovery on, subscribed to one topic',
    value: num(idle(m)),
    unit: 'B',
    target: '≤ 4096 B',
    met: typeof idle(m) === 'number' ? idle(m) <= 4096 : null,
    vsUws: ratio(idle(m), idle(mem.get('uws'))),
    vsSioUws: ratio(idle(m), idle(mem.get('sio-uws'))),
  });
  const con = by(results.connect);
  const c = con.get('wse');
  out.push({
    figure: 'connect: server CPU per connection',
    ours: 'WSE, JWT (HS256) + full handshake',
    value: num(c?.serverCpuUsPerConn),
    unit: 'µs',
    target: '≤ 60 µs',
    met: typeof c?.serverCpuUsPerConn === 'number' ? c.serverCpuUsPerConn <= 60 : null,
    vsUws: ratio(c?.serverCpuUsPerConn, con.get('uws')?.serverCpuUsPerConn),
    vsSioUws: ratio(c?.serverCpuUsPerConn, con.get('sio-uws')?.serverCpuUsPerConn),
  });
  const dec = by(
    results.decode.filter((r) => r.id),
    'id',
  );
  const d = dec.get('wse-text');
  out.push({
    figure: 'client decode, WSE text frame, msgs/s per core',
    ours: 'decodeFrame, full envelope validation',
    value: num(d?.msgsPerSec),
    unit: 'msgs/s',
    target: '≥ 1.2 M',
    met: typeof d?.msgsPerSec === 'number' ? d.msgsPerSec >= 1.2e6 : null,
    vsUws: null,
    vsSioUws: ratio(d?.msgsPerSec, dec.get('sio')?.msgsPerSec),
    vsFloor: ratio(d?.msgsPerSec, dec.get('json-frame')?.msgsPerSec),
    floorLabel: 'JSON.parse of the same frame',
    note: 'vs socket.io-client parsers (the same on either Socket.IO server)',
  });
  return out;
}
