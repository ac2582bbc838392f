// The --built checks of scripts/check-packages.mjs on fake dist folders: they must fail when the
// React entry lost its 'use client' or when a symbol tagged @internal is still in a core d.ts —
// and `.ci/run` runs them on the real build (`node scripts/check-packages.mjs --built`).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { builtProblems, startsWithDirective } from '../../scripts/check-packages.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A package folder with `dist/<file>` for each entry of `files`. */
function fakePackage(name: string, files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'wse-check-built-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'dist'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, 'dist', f), text);
  const entry = { import: { types: './dist/index.d.ts', default: './dist/index.js' } };
  const pkg = {
    name,
    exports: { '.': { ...entry, require: { types: './dist/index.d.cts', default: './dist/index.cjs' } } },
  };
  return { dir, pkg } as const;
}

const CORE_DTS = `/** A listener of a {@link SnapshotStore}. */\ntype StoreListener<T> = (s: T) => void;\nexport { type StoreListener };\n`;

describe('check-packages --built', () => {
  it('reads a directive only as the first statement', () => {
    expect(startsWithDirective("'use client';\nimport x from 'y';", 'use client')).toBe(true);
    expect(startsWithDirective('"use client";\n"use strict";', 'use client')).toBe(true);
    expect(startsWithDirective('#!/usr/bin/env node\n"use client"\nx()', 'use client')).toBe(true);
    expect(startsWithDirective('"use strict";\n"use client";', 'use client')).toBe(false);
    expect(startsWithDirective("// src/index.ts\nconst a = 'use client';", 'use client')).toBe(false);
    expect(startsWithDirective("'use client'(x);", 'use client')).toBe(false);
  });

  it("flags each @wse/react output that does not start with 'use client'", () => {
    const ok = fakePackage('@wse/react', {
      'index.js': "'use client';\nexport {};",
      'index.cjs': "'use client';\n'use strict';",
    });
    expect(builtProblems(ok)).toEqual([]);
    const lost = fakePackage('@wse/react', {
      'index.js': "'use client';\nexport {};",
      'index.cjs': "'use strict';",
    });
    expect(builtProblems(lost)).toEqual(["@wse/react: dist/index.cjs does not start with 'use client'"]);
  });

  it('flags an @internal core symbol left in a d.ts, and a dist without the public one', () => {
    expect(builtProblems(fakePackage('@wse/core-client', { 'index.d.ts': CORE_DTS }))).toEqual([]);
    const leaked = fakePackage('@wse/core-client', {
      'index.d.ts': CORE_DTS,
      'index.d.cts': `${CORE_DTS}declare class SnapshotStore<T> {}\nexport { SnapshotStore };\n`,
      'testing.d.ts': 'declare class MemoryServerSocket {\n    deliver(frame: string): void;\n}\n',
    });
    expect(builtProblems(leaked)).toEqual([
      '@wse/core-client: dist/index.d.cts declares @internal SnapshotStore (stripInternal)',
      '@wse/core-client: dist/testing.d.ts declares @internal MemoryServerSocket.deliver (stripInternal)',
    ]);
    expect(builtProblems(fakePackage('@wse/core-client', {}))).toEqual([
      '@wse/core-client: no built d.ts declares StoreListener (is dist built?)',
    ]);
  });
});
