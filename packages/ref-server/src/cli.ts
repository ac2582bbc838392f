#!/usr/bin/env node
/**
 * `wse-server` — the command line entry of `@wse/ref-server`. See `wse-server --help`.
 *
 * @example
 * // npx wse-server --dev --port 0
 */
import { runCli } from './run-cli';
import { WSEServer } from './server';

void runCli(process.argv.slice(2), process.env, {
  createServer: (options) => new WSEServer(options),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  onSignal: (signal, handler) => process.on(signal, handler),
  exit: (code) => process.exit(code),
  // A --workers worker: tell the primary, and drain when the primary is gone.
  notifyListening: process.send
    ? (port) => {
        process.send?.({ type: 'listening', port });
        process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
      }
    : undefined,
});
