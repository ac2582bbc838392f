/**
 * Build-time data: the latest benchmark report (`test/bench/results/latest.md`) rendered to HTML,
 * and SVG charts drawn from its JSON twin (`latest.json`), or `null` / `[]` when the benchmarks
 * have not been run yet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BenchReportJson, benchCharts, type Chart } from '../.vitepress/loaders/bench-charts';
import { renderRepoMarkdown } from '../.vitepress/loaders/render-markdown';

/** The rendered report, or `null`, and its charts (empty without `latest.json`). */
export interface BenchmarkReport {
  html: string | null;
  charts: Chart[];
}

declare const data: BenchmarkReport;

export { data };

const RESULTS = '../../test/bench/results/';

function loadCharts(): Chart[] {
  const path = fileURLToPath(new URL(`${RESULTS}latest.json`, import.meta.url));
  if (!existsSync(path)) return [];
  return benchCharts(JSON.parse(readFileSync(path, 'utf8')) as BenchReportJson);
}

/**
 * Loads the latest benchmark report and draws its charts.
 *
 * @example
 * ```ts
 * import { data } from './benchmarks.data';
 * if (data.html === null) console.log('not run yet');
 * ```
 */
export default {
  watch: [`${RESULTS}latest.md`, `${RESULTS}latest.json`],
  async load(): Promise<BenchmarkReport> {
    return {
      html: await renderRepoMarkdown(fileURLToPath(new URL(`${RESULTS}latest.md`, import.meta.url))),
      charts: loadCharts(),
    };
  },
};
