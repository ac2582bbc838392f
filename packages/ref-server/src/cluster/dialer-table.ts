import { type DialPolicy, type DialState, dialFailed, dialSucceeded, freshDial } from './dial-policy';

/** One address this node dials. */
export interface Dialer<L = unknown> {
  address: string;
  source: 'peer' | 'seed' | 'gossip';
  dial: DialState;
  /** The outbound link in progress or up, if any. */
  link?: L;
  /** The instance id last seen at this address. */
  peerId?: string;
  /** The address answered with our own id: never dialled again. */
  self?: boolean;
}

/**
 * The addresses a node dials and when (no I/O; the node opens the sockets). Configured peers are
 * redialled forever; gossip-learned addresses are forgotten after `forgetAfter` consecutive failures
 * (a node that left for good); an address whose peer said SHUTDOWN is forgotten at once.
 *
 * @example
 * ```ts
 * const t = new DialerTable(policy, Date.now, Math.random);
 * t.add('10.0.0.2:7007', 'seed');
 * for (const d of t.due(Date.now(), (id) => links.has(id))) t.started(d, dial(d.address));
 * ```
 */
export class DialerTable<L> {
  private readonly byAddress = new Map<string, Dialer<L>>();

  constructor(
    private readonly policy: DialPolicy,
    private readonly now: () => number,
    private readonly random: () => number,
    private readonly forgetAfter = 10,
  ) {}

  add(address: string, source: Dialer['source']): Dialer<L> {
    const known = this.byAddress.get(address);
    if (known) return known;
    const d: Dialer<L> = { address, source, dial: freshDial(this.now()) };
    this.byAddress.set(address, d);
    return d;
  }

  get(address: string): Dialer<L> | undefined {
    return this.byAddress.get(address);
  }

  forget(address: string): void {
    this.byAddress.delete(address);
  }

  /** Dialers to dial now: not self, no link in progress, retry time reached, peer not linked. */
  due(now: number, linked: (peerId: string) => boolean): Dialer<L>[] {
    const out: Dialer<L>[] = [];
    for (const d of this.byAddress.values()) {
      if (d.self || d.link !== undefined || now < d.dial.nextAt) continue;
      if (d.peerId !== undefined && linked(d.peerId)) continue;
      out.push(d);
    }
    return out;
  }

  /** A dial began: no other attempt until it ends. */
  started(d: Dialer<L>, link: L): void {
    d.link = link;
    d.dial = { ...d.dial, nextAt: Number.POSITIVE_INFINITY };
  }

  /**
   * The dialled link ended. `upForMs` is -1 when it never came up. A link that stayed up for the
   * flap window (or lost a tie-break: a healthy peer) resets the backoff; anything shorter counts
   * as a failure towards the breaker.
   */
  ended(d: Dialer<L>, link: L, o: { upForMs: number; shutdown: boolean; duplicate: boolean }): void {
    if (d.link !== link) return;
    d.link = undefined;
    const now = this.now();
    if (o.shutdown) {
      this.forget(d.address);
    } else if (o.upForMs >= this.policy.flapWindowMs || o.duplicate) {
      d.dial = { ...dialSucceeded(now), nextAt: now + Math.round(this.policy.baseMs * this.random()) };
    } else {
      d.dial = dialFailed(d.dial, now, this.policy, this.random);
      if (d.source === 'gossip' && d.dial.failures >= this.forgetAfter) this.forget(d.address);
    }
  }

  /** For clusterInfo(). */
  list(): Array<{ address: string; source: string; failures: number; nextAt: number; peerId?: string }> {
    return [...this.byAddress.values()]
      .filter((d) => !d.self)
      .map((d) => ({
        address: d.address,
        source: d.source,
        failures: d.dial.failures,
        nextAt: d.dial.nextAt,
        peerId: d.peerId,
      }));
  }
}
