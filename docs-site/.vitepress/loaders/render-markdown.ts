import { existsSync, readFileSync } from 'node:fs';
import { createMarkdownRenderer } from 'vitepress';

let renderer: ReturnType<typeof createMarkdownRenderer> | null = null;

/** Relative links point into the repository, not the site: keep their text, drop the link. */
const RELATIVE_LINK = /<a href="(?!https?:|#)[^"]*"[^>]*>([\s\S]*?)<\/a>/g;
/** The file's own title: the page that shows it has one already. */
const FIRST_H1 = /<h1[^>]*>[\s\S]*?<\/h1>/;

/**
 * Renders a Markdown file from elsewhere in the repository (a package README, a benchmark result)
 * to HTML with the site's own renderer, or returns `null` when the file does not exist. Its first
 * `<h1>` is dropped, and relative links become plain text (so the site's dead-link check stays
 * meaningful); absolute URLs and anchors are kept.
 *
 * @example
 * ```ts
 * const html = await renderRepoMarkdown('/work/main/packages/core-client/README.md');
 * ```
 */
export async function renderRepoMarkdown(path: string): Promise<string | null> {
  if (!existsSync(path)) return null;
  renderer ??= createMarkdownRenderer(process.cwd());
  const md = await renderer;
  const html = md.render(readFileSync(path, 'utf8'));
  return html.replace(FIRST_H1, '').replace(RELATIVE_LINK, '<span class="repo-link">$1</span>');
}
