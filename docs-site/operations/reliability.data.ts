/**
 * Build-time data: the latest figures of the hostile suite (`test/hardening/results/summary.md`,
 * written by `npm test` and `npm run soak`) rendered to HTML, or `null` when it has not run yet.
 */
import { fileURLToPath } from 'node:url';
import { renderRepoMarkdown } from '../.vitepress/loaders/render-markdown';

/** The rendered figures, or `null`. */
export interface ReliabilityReport {
  html: string | null;
}

declare const data: ReliabilityReport;

export { data };

/**
 * Loads the latest hardening figures.
 *
 * @example
 * ```ts
 * import { data } from './reliability.data';
 * if (data.html === null) console.log('not run yet');
 * ```
 */
export default {
  watch: ['../../test/hardening/results/summary.md'],
  async load(): Promise<ReliabilityReport> {
    return {
      html: await renderRepoMarkdown(
        fileURLToPath(new URL('../../test/hardening/results/summary.md', import.meta.url)),
      ),
    };
  },
};
