/**
 * Paths of the hardening suite, found from the repository root (walking up to the directory that
 * holds `packages/ref-server`), so they hold both under vitest and inside the esbuild bundle that
 * `npm run soak` runs (scripts/run-ts.mjs writes it next to the script).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'packages', 'ref-server', 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${from}`);
    dir = up;
  }
  return dir;
}

/** The repository root, with a trailing slash. */
export const ROOT = `${findRoot(dirname(fileURLToPath(import.meta.url)))}/`;
/** test/hardening/, with a trailing slash. */
export const HARDENING = `${ROOT}test/hardening/`;
