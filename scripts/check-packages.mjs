#!/usr/bin/env node
// Checks that every publishable package (packages/*, not private) is ready for `npm publish` as it is:
//   - versions in lockstep, and @wse/* dependencies pinned to exactly that version;
//   - the fields a consumer needs: description, license, "type": "module", engines.node,
//     publishConfig.access public (scoped packages are private by default), exports with types,
//     import and require for every subpath, and `files` covering every exported/bin path;
//   - `npm publish --dry-run` succeeds with no warning. It is offline-safe: it points at an
//     unreachable local registry with a dummy token and no retries, so nothing leaves the machine.
//   - with --built (after `npm run build`): every exported file exists and is in the packed list;
//     every exported JS file of a package in DIRECTIVES starts with its directive ('use client');
//     the symbols in STRIPPED (tagged @internal) are declared in no built d.ts, while a public
//     neighbour of theirs still is (so the check cannot pass on empty or missing files).
// Exits 1 with one line per problem. Usage: node scripts/check-packages.mjs [--built] [--no-dry-run]
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = process.argv.includes('--built');
const dryRun = !process.argv.includes('--no-dry-run');
const OFFLINE_REGISTRY = 'http://127.0.0.1:9/';

/** The directive every exported JS file of a package must start with (React Server Components read it). */
export const DIRECTIVES = new Map([['@wse/react', 'use client']]);

/**
 * Per package: symbols tagged `@internal` that its d.ts build must strip (`stripInternal`), and a
 * public one that must stay. Only what no other published @wse package imports: their d.ts builds
 * resolve @wse/core-client through its built d.ts, so stripping such a symbol would break them.
 */
export const STRIPPED = new Map([
  [
    '@wse/core-client',
    {
      gone: [
        {
          name: 'SnapshotStore',
          // declared, or named in an export list (a `{@link SnapshotStore}` in a comment is neither)
          pattern: /\b(?:class|interface|type|const|function)\s+SnapshotStore\b|[{,]\s*SnapshotStore\s*[,}]/,
        },
        { name: 'MemoryServerSocket.deliver', pattern: /^\s*deliver\(frame/m },
        { name: 'MemoryServerSocket.clientClosed', pattern: /^\s*clientClosed\(/m },
      ],
      kept: { name: 'StoreListener', pattern: /\btype StoreListener\b/ },
    },
  ],
]);

/** Does `code` start (after a hashbang) with the directive as its first statement? */
export function startsWithDirective(code, directive) {
  const body = code.replace(/^#![^\n]*\n/, '');
  return new RegExp(`^\\s*(['"])${directive}\\1\\s*(;|\\n)`).test(body);
}

/** Problems of the built files of one package: a missing directive, an @internal symbol left in a d.ts. */
export function builtProblems({ dir, pkg }) {
  const p = [];
  const name = pkg.name ?? dir;
  const files = [...new Set(targets(pkg))].filter((t) => existsSync(join(dir, t)));
  const directive = DIRECTIVES.get(name);
  if (directive)
    for (const t of files.filter((f) => /\.[cm]?js$/.test(f)))
      if (!startsWithDirective(readFileSync(join(dir, t), 'utf8'), directive))
        p.push(`${name}: ${t} does not start with '${directive}'`);
  const stripped = STRIPPED.get(name);
  if (stripped) {
    // Every d.ts in dist: the entries and the shared chunks they import.
    const dist = join(dir, 'dist');
    const dts = existsSync(dist) ? readdirSync(dist).filter((f) => /\.d\.[cm]?ts$/.test(f)) : [];
    const texts = dts.map((f) => [f, readFileSync(join(dist, f), 'utf8')]);
    for (const { name: symbol, pattern } of stripped.gone)
      for (const [f, text] of texts)
        if (pattern.test(text)) p.push(`${name}: dist/${f} declares @internal ${symbol} (stripInternal)`);
    if (!texts.some(([, text]) => stripped.kept.pattern.test(text)))
      p.push(`${name}: no built d.ts declares ${stripped.kept.name} (is dist built?)`);
  }
  return p;
}

/** The publishable packages: `{dir, pkg}` for each packages/* whose package.json is not private. */
export function publishable() {
  return readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => !pkg.private);
}

/** Every file path a consumer can reach: exports (all conditions but the repo-only wse-source), main, module, types, bin. */
function targets(pkg) {
  const out = [];
  const walk = (v, cond) => {
    if (typeof v === 'string') {
      if (cond !== 'wse-source') out.push(v);
    } else if (v && typeof v === 'object') for (const [k, w] of Object.entries(v)) walk(w, k);
  };
  walk(pkg.exports);
  for (const k of ['main', 'module', 'types']) if (pkg[k]) out.push(pkg[k]);
  for (const b of Object.values(pkg.bin ?? {})) out.push(b);
  return out.map((p) => p.replace(/^\.\//, '')).filter((p) => p !== 'package.json');
}

/** Static problems of one package.json (no I/O beyond the package folder). */
export function staticProblems({ dir, pkg }, version) {
  const p = [];
  const name = pkg.name ?? dir;
  if (pkg.version !== version) p.push(`${name}: version ${pkg.version}, others ${version} (lockstep)`);
  for (const [dep, range] of Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies })) {
    if (dep.startsWith('@wse/') && range !== version) p.push(`${name}: ${dep}@${range}, expected ${version}`);
  }
  for (const field of ['description', 'license']) if (!pkg[field]) p.push(`${name}: no ${field}`);
  if (pkg.type !== 'module') p.push(`${name}: "type" is not "module"`);
  if (!pkg.engines?.node) p.push(`${name}: no engines.node`);
  if (pkg.publishConfig?.access !== 'public') p.push(`${name}: publishConfig.access is not "public"`);
  if (!pkg.files?.includes('README.md')) p.push(`${name}: README.md not in files`);
  if (!existsSync(join(dir, 'README.md'))) p.push(`${name}: no README.md`);
  for (const [sub, v] of Object.entries(pkg.exports ?? {})) {
    if (typeof v === 'string') continue;
    for (const cond of ['import', 'require']) {
      if (!v[cond]?.types || !v[cond]?.default)
        p.push(`${name}: exports["${sub}"].${cond} lacks types/default`);
    }
  }
  for (const t of targets(pkg)) {
    const covered = (pkg.files ?? []).some((f) => t === f || t.startsWith(`${f.replace(/\/$/, '')}/`));
    if (!covered) p.push(`${name}: ${t} is exported but not in files`);
    if (built && !existsSync(join(dir, t))) p.push(`${name}: ${t} does not exist (built)`);
  }
  return p;
}

const run = promisify(execFile);

/** `npm publish --dry-run` against an unreachable registry: the packed file list, and any warning. */
export async function dryRunPublish(dir) {
  const host = OFFLINE_REGISTRY.replace(/^https?:/, '');
  const { stdout, stderr } = await run(
    'npm',
    [
      'publish',
      '--dry-run',
      '--json',
      '--ignore-scripts',
      `--registry=${OFFLINE_REGISTRY}`,
      '--fetch-retries=0',
      `--${host}:_authToken=dry-run`,
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  const json = JSON.parse(stdout);
  const result = Object.values(json)[0] ?? json;
  const warnings = stderr.split('\n').filter((l) => /\bwarn\b/i.test(l));
  return { files: result.files.map((f) => f.path), warnings };
}

async function main() {
  const packages = publishable();
  const version = packages[0]?.pkg.version;
  const problems = packages.flatMap((p) => staticProblems(p, version));
  if (built) problems.push(...packages.flatMap((p) => builtProblems(p)));
  if (dryRun) {
    const results = await Promise.all(
      packages.map(async (p) => {
        try {
          return { p, ...(await dryRunPublish(p.dir)) };
        } catch (err) {
          return { p, error: String(err.stderr || err) };
        }
      }),
    );
    for (const r of results) {
      const name = r.p.pkg.name;
      if (r.error) {
        problems.push(`${name}: npm publish --dry-run failed: ${r.error.trim().split('\n')[0]}`);
        continue;
      }
      for (const w of r.warnings) problems.push(`${name}: ${w}`);
      for (const must of ['package.json', 'README.md'])
        if (!r.files.includes(must)) problems.push(`${name}: ${must} not packed`);
      if (built)
        for (const t of targets(r.p.pkg)) if (!r.files.includes(t)) problems.push(`${name}: ${t} not packed`);
    }
  }
  for (const line of problems) console.error(`check-packages: ${line}`);
  console.log(
    `check-packages: ${packages.length} packages at ${version}${dryRun ? ', npm publish --dry-run' : ''}` +
      `${built ? ', built files' : ''}: ${problems.length === 0 ? 'ok' : `${problems.length} problem(s)`}`,
  );
  if (problems.length > 0) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
