/**
 * Message signing for the client (docs-site/protocol §6) — a lazy chunk: fetched with the first message that
 * needs a signature, so the browser's initial load does not carry it. WebCrypto only (SHA-256,
 * HMAC-SHA256), so it runs in browsers and Node alike.
 *
 * @module
 */

import { bytesToHex } from '../protocol/base64';
import type { Envelope } from '../protocol/envelope';
import { canonicalJson, signingInput } from '../protocol/signature';
import type { SigningOptions } from './signing-options';

const utf8 = new TextEncoder();
const subtle = () => globalThis.crypto.subtle;

async function sha256Hex(text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await subtle().digest('SHA-256', utf8.encode(text))));
}

/**
 * The HMAC function of `options`: the app's own `sign(input)` when given, else HMAC-SHA256 under
 * `key` (a string is its UTF-8 bytes; the imported CryptoKey is reused for every message).
 */
function macOf(options: SigningOptions): (input: string) => Promise<string> {
  const custom = options.sign;
  if (custom) return async (input) => String(await custom(input));
  const key = options.key;
  if (key === undefined) throw new TypeError('signing: give `key` or `sign`');
  let imported: Promise<CryptoKey> | undefined;
  const cryptoKey = () => {
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) return Promise.resolve(key);
    const raw = typeof key === 'string' ? utf8.encode(key) : key;
    imported ??= subtle().importKey(
      'raw',
      raw as Uint8Array<ArrayBuffer>,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    return imported;
  };
  return async (input) =>
    bytesToHex(new Uint8Array(await subtle().sign('HMAC', await cryptoKey(), utf8.encode(input))));
}

/**
 * `sig` for a payload: `hash:signed_at:nonce:hmac`.
 *
 * @example
 * const sig = await signPayload({ text: 'hi' }, mac, Date.now(), randomNonce);
 */
export async function signPayload(
  p: unknown,
  mac: (input: string) => Promise<string>,
  nowMs: number,
  nonce: string,
): Promise<string> {
  const hash = await sha256Hex(canonicalJson(p));
  const signedAt = Math.floor(nowMs / 1000);
  return `${signingInput(hash, signedAt, nonce)}:${await mac(signingInput(hash, signedAt, nonce))}`;
}

function randomNonce(): string {
  return bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * A signer for the session: returns a copy of `env` with `sig` set (for a `batch`, each inner
 * message that `wants` names is signed). `now` is the injected clock.
 *
 * @example
 * const sign = createSigner({ key: 'shared', types: 'all' }, (t) => t === 'chat', () => Date.now());
 * const signed = await sign(env);
 */
export function createSigner(
  options: SigningOptions,
  wants: (type: string) => boolean,
  now: () => number,
): (env: Envelope) => Promise<Envelope> {
  const mac = macOf(options);
  const one = async (env: Envelope): Promise<Envelope> =>
    wants(env.t) ? { ...env, sig: await signPayload(env.p, mac, now(), randomNonce()) } : env;
  return async (env) => {
    if (env.t !== 'batch' || !Array.isArray(env.p.messages)) return one(env);
    const messages = await Promise.all((env.p.messages as Envelope[]).map(one));
    return { ...env, p: { ...env.p, messages } };
  };
}
