import type { EnvironmentEvent, EnvironmentSource } from './environment';

/**
 * A scriptable {@link EnvironmentSource} for tests: flip the network with
 * {@link ManualEnvironment.setOnline} (which also emits `'online'`/`'offline'` on change) or emit
 * any event with {@link ManualEnvironment.emit}.
 *
 * @example
 * ```ts
 * const env = new ManualEnvironment(false);
 * env.subscribe((ev) => console.log(ev));
 * env.setOnline(true); // logs 'online'; env.isOnline() === true
 * env.emit('visible'); // logs 'visible'
 * ```
 */
export class ManualEnvironment implements EnvironmentSource {
  private online: boolean;
  private readonly listeners = new Set<(ev: EnvironmentEvent) => void>();

  constructor(online = true) {
    this.online = online;
  }

  isOnline(): boolean {
    return this.online;
  }

  subscribe(listener: (ev: EnvironmentEvent) => void): () => void {
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry = (ev: EnvironmentEvent) => listener(ev);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Number of active subscriptions (to check that consumers unsubscribe). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Sets the online flag; emits `'online'` or `'offline'` only when it changes. */
  setOnline(online: boolean): void {
    if (online === this.online) return;
    this.online = online;
    this.emit(online ? 'online' : 'offline');
  }

  /** Emits an event to every subscriber, in subscription order. */
  emit(ev: EnvironmentEvent): void {
    for (const l of [...this.listeners]) l(ev);
  }
}
