import { afterEach } from 'vitest';
import { type ChildServerOptions, ServerProcess } from './server-process';

/**
 * Per-test cleanup for a hostile suite: what a test pushes on `cleanup` runs after it (last in,
 * first out, failures ignored), and `server(options)` starts a server child (auth off unless the
 * options say otherwise) that is stopped the same way.
 *
 * @example
 * ```ts
 * const { cleanup, server } = perTest();
 * const srv = await server({ rateLimit: { capacity: 50 } });
 * ```
 */
export function perTest(): {
  cleanup: Array<() => unknown>;
  server(options: ChildServerOptions): Promise<ServerProcess>;
} {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
  });
  const server = async (options: ChildServerOptions): Promise<ServerProcess> => {
    const srv = await ServerProcess.start({ auth: false, ...options });
    cleanup.push(() => srv.stop());
    return srv;
  };
  return { cleanup, server };
}
