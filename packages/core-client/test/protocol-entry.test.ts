// `/protocol` ships to servers and browsers: it must carry no test data. The golden vectors (with
// their test private keys) live in `/testing`. Bundled in-process the way tsup builds dist/protocol.js
// (esbuild, our sources inlined, npm packages external), then searched for the vectors' contents.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const vectors = JSON.parse(readFileSync(`${root}src/protocol/fixtures/vectors.json`, 'utf8')) as {
  keys: { sessionKeyHex: string; client: { privateJwk: { d: string } } };
  frames: Array<{ name: string; hex: string }>;
};
// Strings only the vectors contain: a test private key, the session key, a frame's exact bytes.
const markers = [vectors.keys.client.privateJwk.d, vectors.keys.sessionKeyHex, vectors.frames[0]?.hex ?? ''];

async function bundle(entry: string): Promise<string> {
  const out = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    conditions: ['wse-source'],
    logLevel: 'error',
  });
  return out.outputFiles.map((f) => f.text).join('\n');
}

describe('entry points and test data', () => {
  it('the /protocol entry contains no golden vectors', async () => {
    const text = await bundle('src/protocol/index.ts');
    expect(text).toContain('decodeFrame'); // the codec is there
    for (const m of markers) expect(m.length).toBeGreaterThan(20);
    for (const m of markers) expect(text).not.toContain(m);
    expect(text).not.toContain('loadVectors');
  });

  it('the /testing entry carries them (the check above can see them)', async () => {
    const text = await bundle('src/testing/index.ts');
    for (const m of markers) expect(text).toContain(m);
    expect(text).toContain('ManualClock');
  });
});
