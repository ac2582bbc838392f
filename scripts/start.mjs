#!/usr/bin/env node
// `npm start`: build what the main job needs, then run the reference server in dev mode on
// 127.0.0.1:5007 (single node, in memory, dev auth). When the docs site has been built it is
// served at `/`. Ctrl-C is forwarded so the server drains gracefully.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run('npm', ['run', 'build', '-w', '@wse/core-client', '-w', '@wse/ref-server']);
const docsPkg = join(root, 'docs-site', 'package.json');
const hasDocsBuild =
  existsSync(docsPkg) && (await import(docsPkg, { with: { type: 'json' } })).default.scripts?.build;
if (hasDocsBuild) run('npm', ['run', 'build', '-w', '@wse/docs-site']);

const args = [
  join(root, 'packages/ref-server/dist/cli.js'),
  '--dev',
  '--host',
  '127.0.0.1',
  '--port',
  process.env.PORT ?? '5007',
];
const site = join(root, 'docs-site/.vitepress/dist');
if (existsSync(site)) args.push('--static-dir', site);
args.push(...process.argv.slice(2));

const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
