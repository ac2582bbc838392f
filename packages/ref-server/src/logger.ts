import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Log levels the server accepts (`--log-level` / `WSE_LOG_LEVEL`).
 *
 * @example
 * const level: LogLevel = 'debug';
 */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

/** @example LOG_LEVELS.includes('info'); // true */
export const LOG_LEVELS: readonly LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug'];

/**
 * Creates the server's structured (JSON, pino) logger. The default level is `'silent'` when running
 * under vitest (`process.env.VITEST` is set, read at call time, not import time) and `'info'`
 * otherwise.
 *
 * @example
 * const log = createLogger('debug');
 * log.info({ port: 5007 }, 'listening');
 * const quiet = createLogger(); // silent in tests
 */
export function createLogger(level?: LogLevel, destination?: DestinationStream): Logger {
  const resolved = level ?? (typeof process !== 'undefined' && process.env.VITEST ? 'silent' : 'info');
  if (!LOG_LEVELS.includes(resolved)) throw new Error(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  const options = { name: 'wse-server', level: resolved };
  return destination ? pino(options, destination) : pino(options);
}
