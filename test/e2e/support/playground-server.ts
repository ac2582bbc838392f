/**
 * The reference server as `npm start` runs it — `wse-server --dev` through the CLI's own code
 * path (`runCli`), on 127.0.0.1 port 0, serving the built docs site — for the browser tests.
 *
 * @module
 */

import { WSEServer, type WSEServerOptions } from '@wse/ref-server';
import { runCli } from '../../../packages/ref-server/src/run-cli';
import { DOCS_DIST } from './docs-build';

/** A running server and its HTTP origin. */
export interface PlaygroundServer {
  /** e.g. `http://127.0.0.1:41234` */
  origin: string;
  stop(): Promise<void>;
}

/**
 * Starts `wse-server --dev --port 0 --static-dir <docs dist> ...extraArgs` in this process.
 * Logs are silenced; the CLI's printed URL gives the port.
 *
 * @example
 * ```ts
 * const server = await startPlaygroundServer(['--log-level', 'debug']);
 * await page.goto(`${server.origin}/playground/`);
 * await server.stop();
 * ```
 */
export async function startPlaygroundServer(extraArgs: string[] = []): Promise<PlaygroundServer> {
  let server: WSEServer | null = null;
  const lines: string[] = [];
  let exitCode: number | null = null;
  const argv = ['--dev', '--port', '0', '--static-dir', DOCS_DIST, '--log-level', 'silent', ...extraArgs];
  await runCli(
    argv,
    {},
    {
      createServer: (options: WSEServerOptions) => {
        server = new WSEServer(options);
        return server;
      },
      out: (line) => lines.push(line),
      err: (line) => lines.push(line),
      onSignal: () => {},
      exit: (code) => {
        exitCode = code;
      },
    },
  );
  const url = lines.map((l) => /listening on (http:\/\/[^\s]+)/.exec(l)?.[1]).find(Boolean);
  if (!server || !url || exitCode !== null) {
    throw new Error(`wse-server did not start (exit ${exitCode}):\n${lines.join('\n')}`);
  }
  const running: WSEServer = server;
  return { origin: url, stop: () => running.stop().then(() => undefined) };
}
