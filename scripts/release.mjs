#!/usr/bin/env node
// Release: every publishable package moves to one version together (lockstep), is built, checked
// (scripts/check-packages.mjs --built) and packed into release/*.tgz; with --publish the tarballs
// are published, @wse/core-client first (the others depend on it).
// Usage: node scripts/release.mjs <version> [--publish]
//   CHANGELOG.md must already have a "## <version>" section: the release notes are written by hand.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { publishable } from './check-packages.mjs';

const root = join(import.meta.dirname, '..');
const [version] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const publish = process.argv.includes('--publish');
const fail = (msg) => {
  console.error(`release: ${msg}`);
  process.exit(1);
};

if (!version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version))
  fail('usage: node scripts/release.mjs <version> [--publish]   (version like 0.2.0 or 0.2.0-rc.1)');
if (!readFileSync(join(root, 'CHANGELOG.md'), 'utf8').includes(`\n## ${version}`))
  fail(`CHANGELOG.md has no "## ${version}" section: write the release notes first`);

const sh = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });

// 1. One version everywhere, @wse/* dependencies pinned to it.
const packages = publishable();
for (const { dir, pkg } of packages) {
  pkg.version = version;
  for (const deps of [pkg.dependencies, pkg.peerDependencies])
    for (const dep of Object.keys(deps ?? {})) if (dep.startsWith('@wse/')) deps[dep] = version;
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}
sh('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund']);

// 2. Build, then check what would be published.
sh('npm', ['run', 'build', ...packages.flatMap(({ pkg }) => ['-w', pkg.name])]);
sh(process.execPath, [join(root, 'scripts/check-packages.mjs'), '--built']);

// 3. Pack (the install route until the packages are on the registry), then maybe publish.
const out = join(root, 'release');
mkdirSync(out, { recursive: true });
const order = [...packages].sort(
  (a, b) => Number(b.pkg.name === '@wse/core-client') - Number(a.pkg.name === '@wse/core-client'),
);
for (const { dir } of order) sh('npm', ['pack', '--pack-destination', out], dir);
if (publish) for (const { dir } of order) sh('npm', ['publish'], dir);

console.log(
  `\nrelease: ${version} ${publish ? 'published' : 'packed'} (${order.map((p) => basename(p.dir)).join(', ')}); tarballs in release/`,
);
console.log(`next: git commit -am "Release ${version}" && git tag v${version}`);
