/**
 * Figures of the hostile suite. Every test records what it measured with {@link record} (one JSON
 * part per suite file under `results/parts/`, git-ignored); after the run, {@link writeSummary}
 * (called by the project's global teardown and by `npm run soak`) merges the parts into
 * `results/summary.json` and `results/summary.md`, which the docs site's Reliability page includes.
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { HARDENING } from './paths';

const RESULTS = `${HARDENING}results/`;
const PARTS = `${RESULTS}parts/`;

/** One figure: a number (with its unit in the name), a flag or a short text. */
export type Figure = number | string | boolean;

/** One measured check: its figures, its bound, and whether it held. */
export interface Entry {
  figures: Record<string, Figure>;
  bound?: string;
  passed: boolean;
  /** The issue-18 item it guards, when it is a regression test. */
  item?: string;
  at: string;
}

/**
 * Records the figures of one check into the part of `suite` (read–modify–write: the suite's files
 * run one at a time, see vitest.config.ts).
 *
 * @example
 * ```ts
 * record('resource-attacks', 'C: flood', { maxPingMs: 40 }, { bound: '< 1500 ms', passed: true });
 * ```
 */
export function record(
  suite: string,
  check: string,
  figures: Record<string, Figure>,
  o: { bound?: string; passed: boolean; item?: string },
): void {
  mkdirSync(PARTS, { recursive: true });
  const file = `${PARTS}${suite}.json`;
  const part: Record<string, Entry> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  part[check] = { figures, ...o, at: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(part, null, 2)}\n`);
}

/** The merged summary as written to `summary.json`. */
export interface Summary {
  generatedAt: string;
  node: string;
  cpus: number;
  suites: Record<string, Record<string, Entry>>;
}

/** Merges every part into `summary.json` + `summary.md`; returns the summary (undefined: no parts). */
export function writeSummary(): Summary | undefined {
  if (!existsSync(PARTS)) return undefined;
  const suites: Summary['suites'] = {};
  for (const name of readdirSync(PARTS).sort()) {
    if (!name.endsWith('.json')) continue;
    suites[name.slice(0, -5)] = JSON.parse(readFileSync(`${PARTS}${name}`, 'utf8'));
  }
  if (Object.keys(suites).length === 0) return undefined;
  const summary: Summary = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    suites,
  };
  writeFileSync(`${RESULTS}summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(`${RESULTS}summary.md`, toMarkdown(summary));
  return summary;
}

const fmt = (v: Figure): string => (typeof v === 'number' ? String(Math.round(v * 100) / 100) : String(v));

/** The Markdown table per suite: check, figures, bound, held. */
export function toMarkdown(s: Summary): string {
  const lines = [
    `Last run: ${s.generatedAt.slice(0, 16).replace('T', ' ')} UTC · Node ${s.node} · ${s.cpus} CPU cores · server in its own process on 127.0.0.1`,
    '',
  ];
  for (const [suite, entries] of Object.entries(s.suites)) {
    lines.push(`#### ${suite}`, '', '| check | figures | bound | held |', '|---|---|---|---|');
    for (const [check, e] of Object.entries(entries)) {
      const figures = Object.entries(e.figures)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(' · ');
      const name = e.item ? `${check} (issue 18 item ${e.item})` : check;
      lines.push(`| ${name} | ${figures} | ${e.bound ?? ''} | ${e.passed ? 'yes' : '**no**'} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}`;
}
