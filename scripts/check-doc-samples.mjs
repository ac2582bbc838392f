#!/usr/bin/env node
// Type-checks every TypeScript code sample of the docs: ```ts / ```tsx / ```typescript blocks in
// README.md, packages/*/README*.md and docs-site/**/*.md. Each block becomes one module of a
// throwaway project (.doc-samples/, git-ignored) that resolves @wse/* to source like the tests do,
// and `tsc` checks them all; errors are reported at the Markdown file and line they came from.
//
// A deliberate fragment opts out with an HTML comment on the line right before its fence:
//   <!-- doc-samples: skip (why) -->
// Use it sparingly: a sample that a reader cannot paste is usually a sample to fix.
// A few names samples use without declaring are ambient (see AMBIENT below): the client, server
// and token helper the surrounding prose introduces.
// Run by `npm run typecheck`. Usage: node scripts/check-doc-samples.mjs [--list]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.doc-samples');
const SKIP = /<!--\s*doc-samples:\s*skip\b/;
const FENCE = /^```(ts|tsx|typescript)\s*$/;

/** The Markdown files whose samples are checked. */
export function docFiles() {
  const files = [join(root, 'README.md')];
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', pkg);
    if (!existsSync(join(dir, 'package.json'))) continue;
    for (const f of readdirSync(dir)) if (/^README.*\.md$/.test(f)) files.push(join(dir, f));
  }
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) files.push(p);
    }
  };
  walk(join(root, 'docs-site'));
  return files;
}

/** The TypeScript blocks of one Markdown text: `{line (1-based, first code line), lang, code, skipped}`. */
export function extractSamples(text) {
  const lines = text.split('\n');
  const samples = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE.exec(lines[i]);
    if (!m) continue;
    const skipped = i > 0 && SKIP.test(lines[i - 1]);
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    samples.push({
      line: i + 2,
      lang: m[1] === 'tsx' ? 'tsx' : 'ts',
      code: lines.slice(i + 1, end).join('\n'),
      skipped,
    });
    i = end;
  }
  return samples;
}

// Names the prose around samples introduces ("given a client …"). Module-scoped declarations in a
// sample shadow these, so a sample that creates its own `client` is checked against its own.
const AMBIENT = `import type { WSEClient } from '@wse/core-client';
import type { WSEServer } from '@wse/ref-server';
declare global {
  /** a connected client, as in the surrounding prose */
  const client: WSEClient;
  /** a started server, as in the surrounding prose */
  const server: WSEServer;
  /** the app's own token source */
  function getJwt(): Promise<string>;
  /** a token string */
  const token: string;
}
export {};
`;

// A Vue app's single-file components (every Vue + TypeScript project has this shim). A script file
// (no top-level import), so the wildcard module is global.
const VUE_SHIM = `declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
`;

const TSCONFIG = {
  extends: '../tsconfig.base.json',
  compilerOptions: {
    noEmit: true,
    declaration: false,
    sourceMap: false,
    noUnusedLocals: false,
    noUnusedParameters: false,
    allowUnreachableCode: true,
  },
  include: ['*.ts', '*.tsx'],
};

function main() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  writeFileSync(join(out, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  writeFileSync(join(out, 'ambient.d.ts'), AMBIENT);
  writeFileSync(join(out, 'vue-shim.d.ts'), VUE_SHIM);
  const origin = new Map(); // sample file → {md, line}
  let skipped = 0;
  for (const md of docFiles()) {
    const rel = relative(root, md);
    extractSamples(readFileSync(md, 'utf8')).forEach((s, n) => {
      if (s.skipped) {
        skipped++;
        return;
      }
      const name = `${rel.replace(/[^A-Za-z0-9]+/g, '_')}_${n + 1}.${s.lang}`;
      // `export {}` keeps each sample a module: its names are its own.
      writeFileSync(join(out, name), `${s.code}\nexport {};\n`);
      origin.set(name, { md: rel, line: s.line });
    });
  }
  if (process.argv.includes('--list')) for (const [f, o] of origin) console.log(`${o.md}:${o.line} → ${f}`);
  let output = '';
  let failed = false;
  try {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', out, '--pretty', 'false'],
      {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (err) {
    failed = true;
    output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
  // ".doc-samples/README_md_2.ts(3,5): error TS…" → "README.md:14:5: error TS…"
  const mapped = output
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^(?:\.doc-samples\/)?([^/(]+)\((\d+),(\d+)\): (.*)$/.exec(l);
      const o = m && origin.get(m[1]);
      return o ? `${o.md}:${o.line + Number(m[2]) - 1}:${m[3]}: ${m[4]}` : l;
    });
  for (const l of mapped) console.error(l);
  console.log(
    `doc samples: ${origin.size} TypeScript blocks checked, ${skipped} skipped: ${failed ? 'FAILED' : 'ok'}`,
  );
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
