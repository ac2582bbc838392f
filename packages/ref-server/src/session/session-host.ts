import type { Envelope } from '@wse/core-client/protocol';
import type { Logger } from 'pino';
import type { SignatureGate } from '../auth/signature';
import type { VerifiedToken } from '../auth/token-verifier';
import type { ServerMetrics } from '../http/server-metrics';
import type { ResolvedOptions } from '../options';
import type { PresenceApi } from '../presence/presence-api';
import type { Clock } from '../server-clock';
import type { TopicService } from '../topics/topic-service';
import type { Connection } from './connection';
import type { EventHub } from './event-hub';
import type { Features } from './negotiate';
import type { SubscribeFlow } from './subscribe-flow';

/** What the message router needs from the session manager (kept narrow so the router stays testable). */
export interface SessionHost {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly topics: TopicService;
  readonly events: EventHub;
  readonly features: Features;
  readonly serverVersion: string;
  readonly stats: { rateLimited: number };
  /** Subscribe + recovery replay + presence join, atomically. */
  readonly subscribeFlow: SubscribeFlow;
  /** Null when presence is off (presence queries then reach the app as messages). */
  readonly presence: PresenceApi | null;
  /** `requireSignatures` (docs-site/protocol §6); undefined when off. */
  readonly signatures?: SignatureGate;
  now(): number;
  /** The server's clock (timers: the in-band auth deadline). */
  readonly clock: Clock;
  /** Verifies a token; undefined verifier = auth off. */
  verify?: (token: string) => Promise<VerifiedToken>;
  /** Adopts a verified identity (in-band auth or refresh). */
  authenticate(conn: Connection, verified: VerifiedToken): void;
  /** Sends `server_ready` and emits `connect`. */
  ready(conn: Connection): void;
  /** Sends the auth error (with `extra` fields) and closes 4401 (4403 for AUTH_EXPIRED). */
  rejectAuth(
    conn: Connection,
    code: 'AUTH_FAILED' | 'AUTH_REQUIRED' | 'AUTH_EXPIRED',
    message: string,
    extra?: Record<string, unknown>,
  ): void;
  /** A client `publish` that passed policy. Returns the local delivery count. */
  publish(topic: string, envelope: Envelope): number | Promise<number>;
}
