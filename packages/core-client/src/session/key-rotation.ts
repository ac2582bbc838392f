/**
 * E2E key rotation on a live session (PROTOCOL.md §6), client side: every `intervalMs`, or when the
 * server sends `e2e_rekey_request`, make a fresh key pair and send `e2e_rekey` (encrypted with the
 * current keys); on `e2e_rekeyed` check the server identity (when pinned), derive the new keys and
 * switch both directions at once (version 2 counters restart at 0).
 *
 * Why the switch is exact: the server sends everything after `e2e_rekeyed` under its new key, and
 * the session handles inbound frames strictly in order, awaiting this step; outbound frames are
 * sealed in send order on one chain, so every frame sealed after the switch uses the new key and
 * reaches the server after every frame sealed before it (the server takes its new receive key at
 * the first frame under it).
 *
 * @module
 */
import type { Clock } from '../env/clock';
import type { WSEError } from '../errors';
import type { E2EChannel } from '../protocol/e2e-channel';
import { buildEnvelope, type Envelope } from '../protocol/envelope';
import type { E2EOffer } from './e2e';
import { loadE2E } from './negotiation';

/**
 * What the rotation needs from its session.
 *
 * @example
 * ```ts
 * const actions: KeyRotationActions = { send: (env) => session.send(env), fatal, alive: () => open };
 * ```
 */
export interface KeyRotationActions {
  send(env: Envelope): void;
  /** The new server key did not verify: the session must end. */
  fatal(error: WSEError): void;
  alive(): boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * One session's rotations.
 *
 * @example
 * ```ts
 * const rotation = new KeyRotation(clock, 3_600_000, channel, connectionId, identityKey, actions);
 * rotation.start();
 * // on e2e_rekey_request: rotation.begin(); on e2e_rekeyed: await rotation.complete(env.p)
 * ```
 */
export class KeyRotation {
  #timer: unknown = null;
  #pending: E2EOffer | null = null;
  #starting = false;
  /** Rotations completed on this session. */
  completed = 0;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly channel: E2EChannel,
    private readonly connectionId: string | null,
    private readonly identityKey: CryptoKey | undefined,
    private readonly actions: KeyRotationActions,
  ) {}

  /** Arms the timer (nothing when the interval is 0). */
  start(): void {
    this.stop();
    if (this.intervalMs > 0) this.#timer = this.clock.setTimeout(() => void this.begin(), this.intervalMs);
  }

  stop(): void {
    if (this.#timer !== null) this.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Starts a rotation unless one is under way. */
  async begin(): Promise<void> {
    this.#timer = null;
    if (this.#pending || this.#starting || !this.actions.alive()) return;
    this.#starting = true;
    try {
      const offer = await (await loadE2E()).createE2EOffer();
      if (!this.actions.alive()) return;
      this.#pending = offer;
      this.actions.send(buildEnvelope('e2e_rekey', { encryption_public_key: offer.publicKey }));
    } catch {
      this.start(); // could not make a key pair now: try again at the next interval
    } finally {
      this.#starting = false;
    }
  }

  /** `e2e_rekeyed`: derive and switch. An answer we did not ask for is ignored. */
  async complete(payload: Record<string, unknown>): Promise<void> {
    const offer = this.#pending;
    if (!offer) return;
    this.#pending = null;
    const answer = {
      encryptionPublicKey: str(payload.encryption_public_key),
      encryptionSignature: str(payload.encryption_signature),
    };
    try {
      const e2e = await loadE2E();
      const keys = await e2e.agreeE2EKeys(
        offer,
        answer,
        this.connectionId,
        this.channel.version,
        this.identityKey,
      );
      this.channel.rotateRecv(keys.recv);
      this.channel.rotateSend(keys.send);
      this.completed++;
      this.start();
    } catch (err) {
      this.actions.fatal(err as WSEError);
    }
  }
}
