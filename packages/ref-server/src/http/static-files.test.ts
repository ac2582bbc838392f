import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './static-files';

let base: string;
let root: string;
const text = (b: string | Uint8Array | undefined) =>
  typeof b === 'string' ? b : new TextDecoder().decode(b);

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'wse-static-'));
  root = join(base, 'site');
  mkdirSync(join(root, 'guide'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'index.html'), '<h1>home</h1>');
  writeFileSync(join(root, 'app.js'), 'export {}');
  writeFileSync(join(root, 'style.css'), 'body{}');
  writeFileSync(join(root, 'data.bin'), 'bin');
  writeFileSync(join(root, 'my file.txt'), 'spaced');
  writeFileSync(join(root, 'guide', 'index.html'), '<h1>guide</h1>');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  writeFileSync(join(base, 'secret.txt'), 'outside');
  symlinkSync(join(base, 'secret.txt'), join(root, 'link.txt'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('serveStatic', () => {
  it('serves files with content types', async () => {
    const js = await serveStatic(root, '/app.js');
    expect(js?.status).toBe(200);
    expect(js?.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(text(js?.body)).toBe('export {}');
    expect((await serveStatic(root, '/style.css'))?.headers['content-type']).toMatch(/^text\/css/);
    expect((await serveStatic(root, '/data.bin'))?.headers['content-type']).toBe('application/octet-stream');
    expect(text((await serveStatic(root, '/my%20file.txt?v=1'))?.body)).toBe('spaced');
  });

  it('serves index.html for directories and redirects to the slash form', async () => {
    expect(text((await serveStatic(root, '/'))?.body)).toBe('<h1>home</h1>');
    expect(text((await serveStatic(root, '/guide/'))?.body)).toBe('<h1>guide</h1>');
    const redirect = await serveStatic(root, '/guide');
    expect(redirect?.status).toBe(301);
    expect(redirect?.headers.location).toBe('/guide/');
    expect(await serveStatic(root, '/empty/')).toBeNull();
  });

  it('returns null for missing files', async () => {
    expect(await serveStatic(root, '/nope.html')).toBeNull();
    expect(await serveStatic(join(base, 'missing-dir'), '/index.html')).toBeNull();
  });

  it('never leaves the directory: ../, encoded dots and slashes, backslashes, NUL', async () => {
    for (const p of [
      '/../secret.txt',
      '/guide/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2fsecret.txt',
      '/..%2fsecret.txt',
      '/guide/%2e%2e/%2e%2e/secret.txt',
      '/..\\secret.txt',
      '/%5c..%5csecret.txt',
      '/app.js%00.html',
      '/%',
      'relative.txt',
      '/link.txt',
    ]) {
      expect(await serveStatic(root, p), p).toBeNull();
    }
  });

  it('does not serve dot-files', async () => {
    expect(await serveStatic(root, '/.env')).toBeNull();
    expect(await serveStatic(root, '/%2eenv')).toBeNull();
  });
});
