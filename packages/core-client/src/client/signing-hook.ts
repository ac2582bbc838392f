/**
 * The part of message signing that lives in the initial bundle: which envelopes need a `sig`
 * (decided synchronously, so unsigned frames never wait) and the lazy load of the signer.
 *
 * Decided here: `types: 'all'` means every application message — any type that is not one of
 * the protocol's own (`PROTOCOL_TYPES`) — plus `publish`; a list means exactly those types. A
 * `batch` is signed message by message. Protocol frames (hello, ping, subscription_update, …) are
 * never signed.
 *
 * @module
 */

import { type Envelope, PROTOCOL_TYPES } from '../protocol/envelope';
import type { SigningOptions } from '../signing/signing-options';

/**
 * The session's `sign` hook for `options`: `undefined` for an envelope that needs no signature,
 * else a promise of the signed copy (the first one fetches the `signing/signer` chunk).
 *
 * @example
 * const sign = signingHook({ key: 'shared', types: ['order'] }, () => Date.now());
 * sign(env); // undefined unless env.t === 'order' (or a batch)
 */
export function signingHook(
  options: SigningOptions,
  now: () => number,
): (env: Envelope) => Promise<Envelope> | undefined {
  const { types } = options;
  const wants = (t: string) =>
    types === 'all' ? t === 'publish' || !PROTOCOL_TYPES.has(t) : types.includes(t);
  let signer: Promise<(env: Envelope) => Promise<Envelope>> | undefined;
  return (env) => {
    if (env.t !== 'batch' && !wants(env.t)) return undefined;
    signer ??= import('../signing/signer').then((m) => m.createSigner(options, wants, now));
    // A failed fetch is forgotten, so the next signed message tries again.
    signer.catch(() => {
      signer = undefined;
    });
    return signer.then((sign) => sign(env));
  };
}
