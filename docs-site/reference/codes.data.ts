/**
 * Build-time data for the close/error code tables, read straight from the codec's code maps
 * (`packages/core-client/src/protocol/codes.ts`), so the docs cannot drift from the code.
 */
import { CLOSE_CODE_INFO, ERROR_CODE_INFO } from '../../packages/core-client/src/protocol/codes';
import { CLIENT_ERROR_CODE_INFO } from '../../packages/core-client/src/protocol/errors';

/** One close code row. */
export interface CloseRow {
  code: number;
  name: string;
  meaning: string;
  reconnect: boolean;
  endpointFailure: boolean;
  needsNewToken: boolean;
}

/** One client-side code row. */
export interface ClientRow {
  code: string;
  errorClass: string;
  meaning: string;
}

/** One wire error code row. */
export interface ErrorRow {
  code: string;
  meaning: string;
}

/** What `codes.data.ts` provides to the page. */
export interface CodeTables {
  close: CloseRow[];
  errors: ErrorRow[];
  client: ClientRow[];
}

declare const data: CodeTables;

export { data };

/**
 * Builds the code tables, close codes in numeric order, error codes in declaration order.
 *
 * @example
 * ```ts
 * import { data } from './codes.data';
 * data.close[0]; // { code: 1000, name: 'NORMAL', ... }
 * ```
 */
export default {
  watch: [
    '../../packages/core-client/src/protocol/codes.ts',
    '../../packages/core-client/src/protocol/errors.ts',
  ],
  load(): CodeTables {
    const close = Object.entries(CLOSE_CODE_INFO)
      .map(([code, info]) => ({
        code: Number(code),
        name: info.name,
        meaning: info.meaning,
        reconnect: info.reconnect,
        endpointFailure: info.endpointFailure,
        needsNewToken: info.needsNewToken,
      }))
      .sort((a, b) => a.code - b.code);
    const errors = Object.entries(ERROR_CODE_INFO).map(([code, info]) => ({ code, meaning: info.meaning }));
    const client = Object.entries(CLIENT_ERROR_CODE_INFO).map(([code, info]) => ({ code, ...info }));
    return { close, errors, client };
  },
};
