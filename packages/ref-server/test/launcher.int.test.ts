import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npx wse-server` right after `npm ci && npm run build` (issue 15.3): npm links a workspace bin only
// when the file exists at install time, so the bin is a committed launcher that loads dist/cli.js.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..', '..');
const launcher = join(pkg, 'bin', 'wse-server.js');

// A throwaway package layout inside the package (so jose, pino and uWS resolve from node_modules):
// bin/wse-server.js (the committed launcher, copied) and, for the built case, dist/cli.js.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(pkg, '.launcher-test-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(launcher, join(dir, 'bin', 'wse-server.js'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) =>
  spawnSync(process.execPath, [join(dir, 'bin', 'wse-server.js'), ...args], {
    encoding: 'utf8',
    timeout: 15_000,
  });

describe('wse-server launcher', () => {
  it('npm linked it: node_modules/.bin/wse-server is the committed launcher', () => {
    expect(realpathSync(join(root, 'node_modules', '.bin', 'wse-server'))).toBe(realpathSync(launcher));
  });

  it('without a build it exits 1 and says to run npm run build', () => {
    const r = run(['--help']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npm run build');
    expect(r.stdout).toBe('');
  });

  it('with the CLI built it runs it: --help prints the usage and exits 0', async () => {
    await build({
      entryPoints: [join(pkg, 'src', 'cli.ts')],
      outfile: join(dir, 'dist', 'cli.js'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      conditions: ['wse-source'],
      logLevel: 'error',
      plugins: [
        {
          // npm dependencies stay external; our workspace packages are bundled from source (the
          // test needs no `npm run build`).
          name: 'external-npm',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (a) =>
              a.path.startsWith('@wse/') ? undefined : { path: a.path, external: true },
            );
          },
        },
      ],
    });
    const r = run(['--help']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/wse-server/);
    expect(r.stdout).toMatch(/--port/);
  });
});
