// Turns raw scenario rows into the summary (ratios ours/raw-uWS and ours/Socket.IO, targets from
// issue 9) and renders it as a console table and as Markdown.

import { goals, pairedMedian } from './goals.mjs';
import { TARGETS } from './targets.mjs';

const COLS = ['uws', 'uws-245', 'ws', 'sio', 'sio-uws', 'wse', 'wse-rec'];
const HEAD = {
  uws: 'raw uWS',
  'uws-245': 'uWS 245 B',
  ws: 'ws',
  sio: 'Socket.IO',
  'sio-uws': 'SIO on uWS',
  wse: 'WSE',
  'wse-rec': 'WSE+recovery',
};

const by = (rows, key = 'target') => Object.fromEntries(rows.map((r) => [r[key], r]));
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null);

function fmt(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'NO';
  if (typeof v !== 'number') return String(v);
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e4) return String(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(a >= 1 ? 2 : 3);
}
const fmtRatio = (r) => (r === null ? '–' : `${r.toFixed(2)}×`);

/** One summary line per scenario × metric. `higher`: whether bigger is better. */
function line(scenario, metric, values, { higher = true, target, check } = {}) {
  const ours = values.wse ?? null;
  const row = {
    scenario,
    metric,
    values,
    oursVsUws: ratio(ours, values.uws),
    oursVsSio: ratio(ours, values.sio),
    oursVsSioUws: ratio(ours, values['sio-uws']),
    higherIsBetter: higher,
  };
  if (target) {
    row.target = target;
    row.met = check ? check(values, row) : null;
  }
  return row;
}

export function summarize(report) {
  const { results } = report;
  const out = [];
  const tiers = [...new Set(results.fanout.map((r) => r.subscribers))];
  for (const n of tiers) {
    const rows = by(results.fanout.filter((r) => r.subscribers === n));
    const pick = (k) => Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r[k]]));
    const dps = pick('deliveriesPerSec');
    out.push(
      line(`fan-out ${n}`, 'deliveries/s', dps, {
        target: '≥ 0.85× raw uWS, ≥ 5× Socket.IO',
        check: (_v, r) => (r.oursVsUws === null ? null : r.oursVsUws >= 0.85 && (r.oursVsSio ?? 5) >= 5),
      }),
    );
    const paired = Object.fromEntries(
      Object.entries(rows)
        .filter(([, r]) => typeof r.pairedRatioMedian === 'number')
        .map(([t, r]) => [t, r.pairedRatioMedian]),
    );
    if (Object.keys(paired).length) {
      out.push({
        scenario: `fan-out ${n}`,
        metric: '× raw uWS, median of paired rounds',
        values: paired,
        oursVsUws: null,
        oursVsSio: null,
        oursVsSioUws: pairedMedian(rows.wse, rows['sio-uws']),
        target: '≥ 0.85',
        met: typeof paired.wse === 'number' ? paired.wse >= 0.85 : null,
      });
    }
    out.push(line(`fan-out ${n}`, 'deliveries per server CPU s', pick('deliveriesPerServerCpuS')));
    out.push(line(`fan-out ${n}`, 'p50 ms at saturation', pick('p50'), { higher: false }));
    out.push(line(`fan-out ${n}`, 'p99 ms at saturation', pick('p99'), { higher: false }));
    out.push(line(`fan-out ${n}`, 'p50 ms at 20 k/s', pick('lightP50'), { higher: false }));
    out.push(line(`fan-out ${n}`, 'p99 ms at 20 k/s', pick('lightP99'), { higher: false }));
    const lost = Object.fromEntries(
      Object.entries(rows).map(([t, r]) => [t, r.gaps + r.undelivered + r.dups]),
    );
    out.push(
      line(`fan-out ${n}`, 'gaps + undelivered + dups', lost, {
        higher: false,
        target: '0 everywhere',
        check: (v) => Object.values(v).every((x) => x === 0),
      }),
    );
    const bn = Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r.bottleneck]));
    out.push({
      scenario: `fan-out ${n}`,
      metric: 'limited by',
      values: bn,
      oursVsUws: null,
      oursVsSio: null,
    });
  }
  if (results.connect.length) {
    const rows = by(results.connect);
    const v = Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r.connPerSec]));
    out.push(
      line('connect storm', 'connections/s (ours with JWT)', v, {
        target: '≥ 0.8× raw uWS (no auth)',
        check: (_, r) => (r.oursVsUws === null ? null : r.oursVsUws >= 0.8),
      }),
    );
    const cpu = Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r.serverCpuUsPerConn]));
    out.push(line('connect storm', 'server CPU µs per connection', cpu, { higher: false }));
  }
  if (results.memory.length) {
    const rows = by(results.memory);
    const idle = Object.values(rows).every((r) => typeof r.idleBytesPerConn === 'number');
    const v = Object.fromEntries(
      Object.entries(rows).map(([t, r]) => [t, idle ? r.idleBytesPerConn : r.bytesPerConn]),
    );
    if (idle) {
      const burst = Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r.bytesPerConn]));
      out.push(
        line('idle memory', 'RSS bytes per connection, 0.5 s after the burst', burst, { higher: false }),
      );
    }
    const ms = idle ? Object.values(rows)[0].idleMs : 500;
    out.push(
      line('idle memory', `RSS bytes per connection, ${ms / 1000} s idle`, v, {
        higher: false,
        target: '≤ raw uWS + 2 KB',
        check: (vals) =>
          vals.wse === undefined || vals.uws === undefined ? null : vals.wse <= vals.uws + 2048,
      }),
    );
  }
  if (results.rtt.length) {
    const rows = by(results.rtt);
    const pick = (k) => Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r[k]]));
    out.push(line('request/reply', 'p50 ms', pick('p50'), { higher: false }));
    out.push(line('request/reply', 'p99 ms', pick('p99'), { higher: false }));
    out.push(line('request/reply', 'round trips/s', pick('perSec')));
  }
  for (const r of results.recovery) {
    out.push(
      line(
        'recovery',
        `replay ${r.missed} missed, 1 client p50 ms`,
        { wse: r.singleP50Ms },
        { higher: false },
      ),
    );
    out.push(
      line(
        'recovery',
        `replay ${r.missed} missed, ${r.clients} clients max ms`,
        { wse: r.concurrentMaxMs },
        { higher: false },
      ),
    );
    out.push(
      line(
        'recovery',
        'all replayed, no gaps',
        { wse: r.allReplayed && r.gaps === 0 },
        {
          target: 'yes',
          check: (v) => v.wse === true,
        },
      ),
    );
  }
  if (results.decode.length) {
    const d = by(
      results.decode.filter((r) => r.id),
      'id',
    );
    const v = { wse: d['wse-text']?.msgsPerSec ?? null, sio: d.sio?.msgsPerSec ?? null };
    const row = line('client decode', 'msgs/s per core (WSE text frame)', v);
    row.oursVsCentrifuge = ratio(v.wse, d.centrifuge?.msgsPerSec);
    out.push(row);
  }
  return out;
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const pad = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [pad(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(pad)].join('\n');
}

function summaryCells(s) {
  return [
    s.scenario,
    s.metric,
    ...COLS.map((c) => fmt(s.values[c])),
    fmtRatio(s.oursVsUws),
    fmtRatio(s.oursVsSio),
    fmtRatio(s.oursVsSioUws ?? null),
    s.target ? `${s.met === null ? '?' : s.met ? 'met' : 'MISSED'} (${s.target})` : '',
  ];
}

const SUMMARY_HEAD = [
  'scenario',
  'metric',
  ...COLS.map((c) => HEAD[c]),
  'ours/uWS',
  'ours/SIO',
  'ours/SIO-uWS',
  'target',
];

const GOAL_HEAD = [
  'figure',
  'ours (features on)',
  'value',
  'target',
  'status',
  '× raw uWS',
  '× SIO on uWS',
  'floor',
];
const goalCells = (g) => [
  g.figure,
  g.ours,
  g.value === null ? '–' : g.unit === '×' ? g.value.toFixed(3) : `${fmt(g.value)} ${g.unit}`,
  g.target,
  g.met === null ? '?' : g.met ? 'met' : 'MISSED',
  fmtRatio(g.vsUws),
  `${fmtRatio(g.vsSioUws)}${g.note ? ` (${g.note})` : ''}`,
  g.vsFloor === undefined ? '' : `${fmtRatio(g.vsFloor)} of ${g.floorLabel}`,
];

export function renderSummary(report) {
  const m = report.machine;
  const lines = [
    '',
    `WSE benchmark — ${m.date} — ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${report.durationSec} s`,
    '',
    table(SUMMARY_HEAD, report.summary.map(summaryCells)),
    '',
    'Targets (issue 16):',
    table(GOAL_HEAD, goals(report).map(goalCells)),
  ];
  for (const n of report.notes) lines.push(`note: ${n}`);
  for (const e of report.results.errors) lines.push(`error: ${e.scenario}: ${e.error}`);
  return `${lines.join('\n')}\n`;
}

function mdTable(header, rows) {
  const esc = (c) => String(c).replaceAll('|', '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(report) {
  const { machine: m, results: r, config: c } = report;
  const parts = [
    '# WSE benchmark results',
    '',
    `${m.date} · ${m.cpu} · ${m.cores} cores · ${m.memoryGB} GB · Node ${m.node} · ${m.platform} · run took ${report.durationSec} s`,
    '',
    `Load generator: ${c.workers} worker threads in one process, lean WebSocket client over \`net\`. ` +
      `Each server in its own process with the publisher inside it. Fan-out, ~100-byte JSON payload, ${c.inflight} ` +
      `deliveries in flight: raw uWS, ours and Socket.IO on uWS connected together and measured in ${c.slices} rounds of alternating ` +
      `${c.sliceMs / 1000} s slices ("paired"); the other peers one at a time, ${c.durationMs / 1000} s after ` +
      `${c.warmupMs / 1000} s warm-up, best of ${c.repeat} rounds ("alone"). Ratios are from this one run: absolute ` +
      `numbers on a shared 2-core box are noise.`,
    '',
    '## Summary',
    '',
    mdTable(SUMMARY_HEAD, report.summary.map(summaryCells)),
    '',
    '## Targets (issue 16)',
    '',
    mdTable(GOAL_HEAD, goals(report).map(goalCells)),
    '',
  ];
  if (report.notes.length) parts.push('Notes:', '', ...report.notes.map((n) => `- ${n}`), '');
  if (r.errors.length) parts.push('Errors:', '', ...r.errors.map((e) => `- ${e.scenario}: ${e.error}`), '');
  if (r.fanout.length) {
    parts.push('## Fan-out', '');
    parts.push(
      mdTable(
        [
          'subs',
          'server',
          'mode',
          'deliveries/s',
          '× uWS (paired median)',
          'per server CPU s',
          'p50/p99 ms (sat.)',
          'p50/p99 ms (20 k/s)',
          'gaps',
          'server core',
          'generator cores',
          'others',
          'limited by',
        ],
        r.fanout.map((x) => [
          x.subscribers,
          TARGETS[x.target]?.label ?? x.target,
          x.mode,
          fmt(x.deliveriesPerSec),
          x.pairedRatioMedian ? `${x.pairedRatioMedian} (${x.pairedRatios.join(', ')})` : '',
          fmt(x.deliveriesPerServerCpuS),
          `${fmt(x.p50)} / ${fmt(x.p99)}`,
          `${fmt(x.lightP50)} / ${fmt(x.lightP99)}`,
          x.gaps + x.undelivered + x.dups,
          x.serverUtil,
          x.genUtil,
          x.otherUtil,
          x.bottleneck,
        ]),
      ),
      '',
    );
  }
  if (r.connect.length) {
    parts.push('## Connect storm', '');
    parts.push(
      mdTable(
        ['server', 'accepted', 'failed', 'conn/s', 'server CPU µs/conn', 'server core', 'generator cores'],
        r.connect.map((x) => [
          TARGETS[x.target]?.label ?? x.target,
          x.accepted,
          x.failed,
          fmt(x.connPerSec),
          x.serverCpuUsPerConn,
          x.serverUtil,
          x.genUtil,
        ]),
      ),
      '',
    );
  }
  if (r.memory.length) {
    parts.push('## Idle memory', '');
    parts.push(
      mdTable(
        [
          'server',
          'connections',
          'RSS before MB',
          'RSS after MB',
          'RSS bytes/conn (0.5 s)',
          'JS heap bytes/conn',
          'heap committed/conn',
          'external/conn',
          'RSS bytes/conn (idle)',
          'JS heap bytes/conn (idle)',
          'heap committed/conn (idle)',
        ],
        r.memory.map((x) => [
          TARGETS[x.target]?.label ?? x.target,
          x.connections,
          x.rssBeforeMB,
          x.rssAfterMB,
          x.bytesPerConn,
          x.heapBytesPerConn,
          x.heapCommittedPerConn ?? '–',
          x.externalPerConn ?? '–',
          x.idleBytesPerConn ?? '–',
          x.idleHeapBytesPerConn ?? '–',
          x.idleHeapCommittedPerConn ?? '–',
        ]),
      ),
      '',
    );
  }
  if (r.rtt.length) {
    parts.push('## Request/reply', '');
    parts.push(
      mdTable(
        ['server', 'connections', 'round trips/s', 'p50 ms', 'p99 ms', 'server core'],
        r.rtt.map((x) => [
          TARGETS[x.target]?.label ?? x.target,
          x.conns,
          fmt(x.perSec),
          fmt(x.p50),
          fmt(x.p99),
          x.serverUtil,
        ]),
      ),
      '',
    );
  }
  if (r.recovery.length) {
    parts.push('## Recovery replay', '');
    parts.push(
      mdTable(
        [
          'missed',
          '1 client p50 ms',
          '1 client max ms',
          'clients',
          'concurrent p50 ms',
          'concurrent max ms',
          'all replayed',
          'gaps',
        ],
        r.recovery.map((x) => [
          x.missed,
          x.singleP50Ms,
          x.singleMaxMs,
          x.clients,
          x.concurrentP50Ms,
          x.concurrentMaxMs,
          fmt(x.allReplayed),
          x.gaps,
        ]),
      ),
      '',
    );
  }
  if (r.decode.length) {
    parts.push('## Client decode (one core)', '');
    parts.push(
      mdTable(
        ['decoder', 'frame bytes', 'msgs/s'],
        r.decode.map((x) => [x.codec, x.bytes ?? '–', fmt(x.msgsPerSec)]),
      ),
      '',
    );
  }
  return `${parts.join('\n')}\n`;
}
