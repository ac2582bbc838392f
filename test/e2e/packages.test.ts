// Every package publishes as it is (issue 15.9): versions in lockstep, the consumer-facing fields,
// `files` covering every export, and `npm publish --dry-run` clean — offline (an unreachable local
// registry with a dummy token). After `npm run build`, `.ci/run` runs the same script with --built.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

describe('publishable packages', () => {
  it('pass scripts/check-packages.mjs, npm publish --dry-run included', async () => {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'scripts/check-packages.mjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/check-packages: 6 packages at \d+\.\d+\.\d+\S*, npm publish --dry-run: ok/);
  }, 120_000);
});
