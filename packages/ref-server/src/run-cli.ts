import { runPrimary, workerAssignment, workerCount } from './cluster/worker-supervisor';
import { ConfigError, resolveConfig } from './config';
import type { WSEServerOptions } from './options';

/**
 * The part of `WSEServer` the CLI drives.
 *
 * @example
 * const s: CliServer = new WSEServer({ port: 0 });
 */
export interface CliServer {
  start(): Promise<unknown>;
  readonly port?: number;
  drain(o: { timeoutMs: number }): Promise<unknown>;
  stop(): Promise<unknown>;
  /** Re-reads the cluster TLS files (SIGHUP). */
  reloadClusterTls?(): void;
}

/**
 * Everything {@link runCli} touches outside itself, injected so it can be tested without a process.
 *
 * @example
 * const deps: CliDeps = { createServer: (o) => new WSEServer(o), out: console.log, err: console.error,
 *   onSignal: (s, h) => process.on(s, h), exit: (c) => process.exit(c) };
 */
export interface CliDeps {
  createServer(options: WSEServerOptions): CliServer;
  out(line: string): void;
  err(line: string): void;
  onSignal(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', handler: () => void): void;
  exit(code: number): void;
  /** A `--workers` worker tells its primary it is listening. */
  notifyListening?(port: number): void;
  readFile?: (path: string) => string;
  /** Pause between the drain and the stop, for close handshakes to finish (default 250 ms). */
  closeGraceMs?: number;
  /** How long a graceful drain may take before the server is stopped anyway (default 10 s). */
  drainTimeoutMs?: number;
}

/**
 * The `wse-server` command: resolve the config, start the server, print its URL, and on
 * SIGINT/SIGTERM drain (clients get 4300), stop and exit 0. A second signal while draining stops
 * without waiting and exits 130. Exit codes: 0 ok/help, 1 start or shutdown failure, 2 bad config.
 *
 * @example
 * await runCli(['--dev', '--port', '0'], process.env, deps);
 * // stdout: WSE server listening on http://127.0.0.1:43121 (ws://127.0.0.1:43121/wse)
 */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  deps: CliDeps,
): Promise<void> {
  let options: WSEServerOptions;
  let server: CliServer;
  try {
    const resolved = resolveConfig(argv, env, deps.readFile);
    if (resolved.help !== undefined) {
      deps.out(resolved.help);
      return deps.exit(0);
    }
    for (const notice of resolved.notices) deps.err(`notice: ${notice}`);
    options = resolved.options;
    // ── workers (issue 12) ──
    const assignment = workerAssignment(env);
    if (assignment) {
      options = { ...options, port: assignment.port, reusePort: true, cluster: assignment.cluster };
    } else if (resolved.workers !== undefined) {
      const o = options;
      return await runPrimary(
        {
          count: workerCount(resolved.workers),
          host: o.host ?? '0.0.0.0',
          port: o.port ?? 5007,
          path: o.path ?? '/wse',
          cluster: o.cluster,
        },
        deps,
      );
    }
    server = deps.createServer(options);
  } catch (err) {
    deps.err(`wse-server: ${(err as Error).message}`);
    return deps.exit(err instanceof ConfigError || isOptionError(err) ? 2 : 1);
  }
  // Handlers go in before start(): the port accepts clients before start() resolves (the engine
  // connects after the listen), and a SIGTERM there must drain them, not kill the process.
  let started = false;
  let stopping = false;
  const onSignal = () => {
    if (stopping) {
      deps.err('wse-server: second signal, stopping now');
      server.stop().catch(() => {});
      return deps.exit(130);
    }
    stopping = true;
    if (started) drainAndExit(server, deps);
  };
  deps.onSignal('SIGINT', onSignal);
  deps.onSignal('SIGTERM', onSignal);
  try {
    const boundPort = await server.start();
    const port = typeof boundPort === 'number' ? boundPort : (server.port ?? options.port ?? 5007);
    const host = options.host ?? '0.0.0.0';
    deps.out(
      `WSE server listening on http://${host}:${port} (ws://${host}:${port}${options.path ?? '/wse'})`,
    );
    deps.notifyListening?.(port);
  } catch (err) {
    deps.err(`wse-server: could not start: ${(err as Error).message}`);
    return deps.exit(1);
  }
  started = true;
  if (stopping) drainAndExit(server, deps); // a signal came while starting
  if (server.reloadClusterTls) deps.onSignal('SIGHUP', () => server.reloadClusterTls?.());
}

/** Drain (clients get 4300), let their close replies arrive, stop, exit 0 (1 on failure). */
function drainAndExit(server: CliServer, deps: CliDeps): void {
  deps.err('wse-server: draining connections (press Ctrl-C again to force)');
  server
    .drain({ timeoutMs: deps.drainTimeoutMs ?? 10_000 })
    // Let the clients' close replies arrive and be read before the process exits: exiting with
    // unread bytes on a socket makes the kernel send RST, and a client may then report 1006
    // instead of the 4300 it was sent (seen with --workers, where the exit follows at once).
    .then(() => new Promise((resolve) => setTimeout(resolve, deps.closeGraceMs ?? 250)))
    .then(() => server.stop())
    .then(
      () => deps.exit(0),
      (err: unknown) => {
        deps.err(`wse-server: shutdown failed: ${(err as Error).message}`);
        deps.exit(1);
      },
    );
}

function isOptionError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'INVALID_OPTION';
}
