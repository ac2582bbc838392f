/**
 * Build-time data: the latest benchmark report (`test/bench/results/latest.md`) rendered to HTML,
 * or `null` when the benchmarks have not been run yet.
 */
import { fileURLToPath } from 'node:url';
import { renderRepoMarkdown } from '../.vitepress/loaders/render-markdown';

/** The rendered report, or `null`. */
export interface BenchmarkReport {
  html: string | null;
}

declare const data: BenchmarkReport;

export { data };

/**
 * Loads the latest benchmark report.
 *
 * @example
 * ```ts
 * import { data } from './benchmarks.data';
 * if (data.html === null) console.log('not run yet');
 * ```
 */
export default {
  watch: ['../../test/bench/results/latest.md'],
  async load(): Promise<BenchmarkReport> {
    return {
      html: await renderRepoMarkdown(
        fileURLToPath(new URL('../../test/bench/results/latest.md', import.meta.url)),
      ),
    };
  },
};
