/**
 * SVG charts of a benchmark report (`test/bench/results/latest.json`), drawn at docs build time:
 * plain SVG strings, no chart library and no chart service. Horizontal bars with the value written
 * next to each bar, so small values (Socket.IO next to uWS) stay readable on a linear scale.
 *
 * Decided: a server missing from the report is simply not drawn; a chart with no data is omitted
 * (the page shows the table only).
 */

/** The parts of a report row the charts read (see test/bench/README.md). */
export interface BenchRow {
  target: string;
  subscribers?: number;
  deliveriesPerSec?: number;
  bytesPerConn?: number | null;
  idleBytesPerConn?: number | null;
  serverCpuUsPerConn?: number | null;
}

/** The parts of `latest.json` the charts read. */
export interface BenchReportJson {
  machine?: { date?: string; cpu?: string; cores?: number; node?: string };
  results: { fanout?: BenchRow[]; memory?: BenchRow[]; connect?: BenchRow[] };
}

/** One chart: a title, the SVG markup, and a text alternative. */
export interface Chart {
  id: string;
  title: string;
  svg: string;
}

interface Bar {
  label: string;
  value: number;
  ours: boolean;
}

const LABELS = new Map<string, string>([
  ['wse', 'WSE (JWT)'],
  ['wse-rec', 'WSE (JWT + recovery)'],
  ['uws', 'raw uWebSockets.js'],
  ['uws-245', 'raw uWS, 245-byte frames'],
  ['uws-direct', 'raw uWS, unqueued'],
  ['sio-uws', 'Socket.IO on uWS'],
  ['sio', 'Socket.IO'],
  ['ws', 'ws'],
]);
/** Drawing order: ours first, then the peers from strongest to weakest. */
const ORDER = ['wse', 'wse-rec', 'uws', 'uws-245', 'uws-direct', 'sio-uws', 'ws', 'sio'];

const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * A number the way the results tables write it: 5.86 M, 169.1 k, 7602.
 *
 * @example
 * formatValue(5_860_000); // '5.86 M'
 */
export function formatValue(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return a >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1);
}

function sortBars(rows: Array<{ target: string; value: number | null | undefined }>): Bar[] {
  return rows
    .filter((r): r is { target: string; value: number } => typeof r.value === 'number' && r.value >= 0)
    .sort((a, b) => rank(a.target) - rank(b.target))
    .map((r) => ({
      label: LABELS.get(r.target) ?? r.target,
      value: r.value,
      ours: r.target.startsWith('wse'),
    }));
}

const rank = (t: string) => (ORDER.indexOf(t) === -1 ? ORDER.length : ORDER.indexOf(t));

const W = 640;
const LABEL_W = 190;
const VALUE_W = 80;
const BAR_H = 16;
const GAP = 4;
const GROUP_H = 22;

/**
 * Horizontal bar chart of groups of bars (one group per room size, or a single group), one scale
 * for the whole chart. Returns '' when there is nothing to draw.
 *
 * @example
 * barChart('Memory', 'bytes', [{ name: '', bars: [{ label: 'WSE', value: 2372, ours: true }] }]);
 */
export function barChart(title: string, unit: string, groups: Array<{ name: string; bars: Bar[] }>): string {
  const drawn = groups.filter((g) => g.bars.length > 0);
  if (drawn.length === 0) return '';
  const max = Math.max(...drawn.flatMap((g) => g.bars.map((b) => b.value)), 1);
  const plotW = W - LABEL_W - VALUE_W;
  const parts: string[] = [];
  let y = 28;
  for (const g of drawn) {
    if (g.name) {
      parts.push(`<text x="0" y="${y + 12}" class="group">${esc(g.name)}</text>`);
      y += GROUP_H;
    }
    for (const b of g.bars) {
      const w = Math.max(1, Math.round((b.value / max) * plotW));
      parts.push(
        `<text x="${LABEL_W - 6}" y="${y + 12}" text-anchor="end">${esc(b.label)}</text>`,
        `<rect x="${LABEL_W}" y="${y}" width="${w}" height="${BAR_H}" class="${b.ours ? 'ours' : 'peer'}"><title>${esc(`${b.label}: ${formatValue(b.value)} ${unit}`)}</title></rect>`,
        `<text x="${LABEL_W + w + 6}" y="${y + 12}">${esc(formatValue(b.value))}</text>`,
      );
      y += BAR_H + GAP;
    }
    y += GAP * 2;
  }
  const h = y + 4;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="100%" role="img" aria-label="${esc(title)}">`,
    '<style>text{font:12px sans-serif;fill:currentColor}.title{font-weight:600;font-size:13px}.group{font-weight:600}',
    '.ours{fill:#3451b2}.peer{fill:#9ca3af}</style>',
    `<text x="0" y="14" class="title">${esc(title)} (${esc(unit)})</text>`,
    ...parts,
    '</svg>',
  ].join('');
}

/**
 * The three charts of the benchmarks page: deliveries/s by room size per server, idle memory per
 * connection, and connect cost. Charts without data are left out.
 *
 * @example
 * const charts = benchCharts(JSON.parse(readFileSync('test/bench/results/latest.json', 'utf8')));
 */
export function benchCharts(report: BenchReportJson): Chart[] {
  const charts: Chart[] = [];
  const fanout = report.results.fanout ?? [];
  const tiers = [...new Set(fanout.map((r) => r.subscribers ?? 0))].sort((a, b) => a - b);
  const fan = barChart(
    'Fan-out throughput by room size',
    'deliveries/s, higher is better',
    tiers.map((n) => ({
      name: `${n} subscribers`,
      bars: sortBars(
        fanout
          .filter((r) => r.subscribers === n)
          .map((r) => ({ target: r.target, value: r.deliveriesPerSec })),
      ),
    })),
  );
  if (fan) charts.push({ id: 'fanout', title: 'Fan-out throughput by room size', svg: fan });
  const memory = report.results.memory ?? [];
  const mem = barChart('Idle memory per connection', 'RSS bytes, lower is better', [
    {
      name: '',
      bars: sortBars(memory.map((r) => ({ target: r.target, value: r.idleBytesPerConn ?? r.bytesPerConn }))),
    },
  ]);
  if (mem) charts.push({ id: 'memory', title: 'Idle memory per connection', svg: mem });
  const connect = report.results.connect ?? [];
  const con = barChart('Connect cost', 'server CPU µs per connection, lower is better', [
    { name: '', bars: sortBars(connect.map((r) => ({ target: r.target, value: r.serverCpuUsPerConn }))) },
  ]);
  if (con) charts.push({ id: 'connect', title: 'Connect cost', svg: con });
  return charts;
}
