/**
 * `@wse/core-client/testing` — what you need to test your own code against the WSE client without
 * a network or wall-clock time: a clock you advance by hand, an environment whose online/visibility
 * events you fire, an in-memory transport with a server side you script, and the golden wire
 * vectors (test keys included: never use them for anything else). Kept out of the root entry and
 * out of `/protocol`, so none of it ships in an app bundle.
 *
 * @example
 * ```ts
 * import { createClient } from '@wse/core-client';
 * import { ManualClock, ManualEnvironment, MemoryServer } from '@wse/core-client/testing';
 *
 * const server = new MemoryServer();
 * server.onConnection = (socket) => { ... };
 * const clock = new ManualClock(0);
 * const client = createClient({
 *   endpoints: 'memory://test',
 *   env: { clock, transport: server.factory, environment: new ManualEnvironment() },
 * });
 * clock.advance(30_000); // timers fire in order, synchronously
 * ```
 *
 * @module
 */
export { ManualClock } from '../env/manual-clock';
export { ManualEnvironment } from '../env/manual-environment';
export { seededRandom, sequenceRandom } from '../env/random';
export * from '../protocol/vectors';
export * from '../transport/memory-transport';
