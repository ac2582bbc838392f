// The benchmarks page's SVG charts (docs-site/.vitepress/loaders/bench-charts.ts): drawn from the
// results JSON at docs build time. Pure functions: no site build needed here.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { barChart, benchCharts, formatValue } from '../../docs-site/.vitepress/loaders/bench-charts';

const widths = (svg: string) => [...svg.matchAll(/<rect [^>]*width="(\d+)"/g)].map((m) => Number(m[1]));

const report = {
  results: {
    fanout: [
      { target: 'uws', subscribers: 100, deliveriesPerSec: 6_000_000 },
      { target: 'wse', subscribers: 100, deliveriesPerSec: 4_500_000 },
      { target: 'sio', subscribers: 100, deliveriesPerSec: 120_000 },
      { target: 'wse', subscribers: 1000, deliveriesPerSec: 3_000_000 },
    ],
    memory: [
      { target: 'wse-rec', bytesPerConn: 8000, idleBytesPerConn: 2400 },
      { target: 'sio-uws', bytesPerConn: 16_000 },
    ],
    connect: [{ target: 'wse', serverCpuUsPerConn: 205 }],
  },
};

describe('benchmark charts', () => {
  it('draws throughput by room size, memory and connect cost, ours first, on one scale per chart', () => {
    const charts = benchCharts(report);
    expect(charts.map((c) => c.id)).toEqual(['fanout', 'memory', 'connect']);
    const fan = charts[0]?.svg ?? '';
    expect(fan).toMatch(/^<svg [^>]*role="img"/);
    expect(fan).toContain('100 subscribers');
    expect(fan).toContain('1000 subscribers');
    // ours (WSE) is drawn first, then raw uWS, then Socket.IO; bars share one scale (max = 6 M)
    expect(fan.indexOf('WSE (JWT)')).toBeLessThan(fan.indexOf('raw uWebSockets.js'));
    const [wse100, uws100, sio100, wse1000] = widths(fan);
    expect(uws100).toBe(370); // the chart's full plot width
    expect(wse100).toBe(Math.round(0.75 * 370));
    expect(sio100).toBe(Math.round(0.02 * 370));
    expect(wse1000).toBe(Math.round(0.5 * 370));
    expect(fan).toContain('>6.00 M<');
    expect(fan.match(/class="ours"/g)).toHaveLength(2);
    // memory: the idle figure when there is one, else the burst figure
    expect(charts[1]?.svg).toContain('>2400<');
    expect(charts[1]?.svg).toContain('>16.0 k<');
  });

  it('leaves out charts without data and escapes labels', () => {
    expect(benchCharts({ results: { fanout: [], memory: [], connect: [] } })).toEqual([]);
    expect(benchCharts({ results: { connect: [{ target: 'wse', serverCpuUsPerConn: null }] } })).toEqual([]);
    const svg = barChart('a<b', 'x & y', [
      { name: '', bars: [{ label: '<script>', value: 1, ours: false }] },
    ]);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('x &amp; y');
  });

  it('formats values like the results tables', () => {
    expect(formatValue(5_860_000)).toBe('5.86 M');
    expect(formatValue(169_100)).toBe('169.1 k');
    expect(formatValue(7602)).toBe('7602');
    expect(formatValue(25)).toBe('25');
  });

  it('draws the committed results file', () => {
    const path = fileURLToPath(new URL('../bench/results/latest.json', import.meta.url));
    if (!existsSync(path)) return; // nothing committed yet: the page shows "not run yet"
    const charts = benchCharts(JSON.parse(readFileSync(path, 'utf8')));
    expect(charts.map((c) => c.id)).toEqual(['fanout', 'memory', 'connect']);
    for (const c of charts) expect(widths(c.svg).length).toBeGreaterThan(2);
  });
});
