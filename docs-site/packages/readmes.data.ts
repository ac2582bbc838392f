/**
 * Build-time data: every package's README files rendered to HTML, so each package page shows the
 * package's own, current API reference under the site's summary.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRepoMarkdown } from '../.vitepress/loaders/render-markdown';

/** One README of a package: its file name and rendered HTML. */
export interface ReadmeDoc {
  file: string;
  html: string;
}

/** One package: its READMEs (`README.md` first, then `README.*.md`) and whether it exports anything yet. */
export interface PackageDocs {
  readmes: ReadmeDoc[];
  /** `false` while `src/index.ts` exports nothing (the package is a placeholder). */
  implemented: boolean;
}

/** Package directory name → its docs. */
export type Readmes = Record<string, PackageDocs>;

function hasExports(dir: string): boolean {
  const index = join(dir, 'src', 'index.ts');
  if (!existsSync(index)) return false;
  const code = readFileSync(index, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  return /\bexport\s+(?!\{\s*\})/.test(code);
}

declare const data: Readmes;

export { data };

const packagesDir = fileURLToPath(new URL('../../packages/', import.meta.url));

/**
 * Loads `packages/<name>/README*.md` for every package.
 *
 * @example
 * ```ts
 * import { data } from './readmes.data';
 * data['core-client'].readmes[0].file; // 'README.md'
 * ```
 */
export default {
  watch: ['../../packages/*/README*.md', '../../packages/*/src/index.ts'],
  async load(): Promise<Readmes> {
    const out: Readmes = {};
    for (const name of readdirSync(packagesDir)) {
      const dir = join(packagesDir, name);
      if (!existsSync(join(dir, 'package.json'))) continue;
      const files = readdirSync(dir)
        .filter((f) => /^README(\..+)?\.md$/.test(f))
        .sort((a, b) => (a === 'README.md' ? -1 : b === 'README.md' ? 1 : a.localeCompare(b)));
      const docs: ReadmeDoc[] = [];
      for (const file of files) {
        const html = await renderRepoMarkdown(join(dir, file));
        if (html !== null) docs.push({ file, html });
      }
      out[name] = { readmes: docs, implemented: hasExports(dir) };
    }
    return out;
  },
};
