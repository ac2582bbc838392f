import type { Envelope } from '@wse/core-client/protocol';
import type { Logger } from 'pino';
import type { SignatureGate } from '../auth/signature';
import type { VerifiedToken } from '../auth/token-verifier';
import type { ServerMetrics } from '../http/server-metrics';
import type { ResolvedOptions } from '../options';
import type { PresenceApi } from '../presence/presence-api';
import type { TopicService } from '../topics/topic-service';
import type { HttpRequestHead, HttpRequestInfo, HttpResult } from '../transport/transport';
import type { EventHub } from './event-hub';
import type { Features } from './negotiate';
import type { SubscribeFlow } from './subscribe-flow';

/**
 * Everything the session layer uses from the rest of the server, declared once: `WSEServer` builds
 * it, `SessionManager` keeps it as one field and hands the same object to its `MessageRouter`.
 * The clock is `options.clock` (one clock for the whole server).
 *
 * @example
 * const sessions = new SessionManager({ options, logger, metrics, topics, events, features,
 *   serverVersion, subscribeFlow, presence: null, publish, http });
 */
export interface SessionDeps {
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly topics: TopicService;
  readonly events: EventHub;
  /** What this server offers in `server_ready`/`server_hello` (negotiated per connection). */
  readonly features: Features;
  /** `server_hello.server_version`. */
  readonly serverVersion: string;
  /** Subscribe + recovery replay + presence join, atomically. */
  readonly subscribeFlow: SubscribeFlow;
  /** Null when presence is off (presence queries then reach the app as messages). */
  readonly presence: PresenceApi | null;
  /** `requireSignatures` (docs-site/protocol §6); undefined when off. */
  readonly signatures?: SignatureGate;
  /** Verifies a token; undefined = auth off (every connection is anonymous). */
  readonly verify?: (token: string) => Promise<VerifiedToken>;
  /** A client `publish` that passed policy, handed to the engine. Returns the local delivery count. */
  publish(topic: string, envelope: Envelope): number | Promise<number>;
  /** Every HTTP request on the server's port (API routes, static files, 404). */
  http(request: HttpRequestInfo): Promise<HttpResult>;
  /** Answers from the request head alone (before any body byte is read). */
  httpEarly?(head: HttpRequestHead): HttpResult | null;
}
