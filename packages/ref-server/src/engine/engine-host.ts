import { type Envelope, parseEnvelope } from '@wse/core-client/protocol';
import type { PresenceService } from '../presence/presence-service';
import { RecoveryStore } from '../recovery/recovery-store';
import type { PublicationLog } from '../recovery/topic-sequencer';
import type { TopicService } from '../topics/topic-service';
import { type EngineHost, groupInterestKey } from './engine';

/**
 * The server's side of the engine seam: stamping with the node's log, local fan-out through the
 * topic service (one uWS publish per format group), and validation of what other nodes send.
 *
 * @example
 * ```ts
 * const host = createEngineHost({ nodeId, log, topics, onRefused: (why) => log.warn(why) });
 * ```
 */
export function createEngineHost(deps: {
  nodeId: string;
  log: PublicationLog;
  topics: TopicService;
  /** The node's presence (null when off): the cluster merges peers' entries into it. */
  presence?: PresenceService | null;
  /** A remote publication was refused (malformed, wrong topic, duplicate offset). */
  onRefused?: (origin: string, topic: string, reason: string) => void;
}): EngineHost {
  const { log, topics } = deps;
  const refuse = (origin: string, topic: string, reason: string) => {
    deps.onRefused?.(origin, topic, reason);
    return -1;
  };
  return {
    nodeId: deps.nodeId,
    log,
    presence: deps.presence ?? undefined,
    stamp: (topic, envelope) => log.stamp(topic, envelope),
    deliver: (topic, publication) => topics.deliverStamped(topic, publication),
    deliverRemote(origin, topic, json) {
      let raw: unknown;
      try {
        raw = JSON.parse(json);
      } catch {
        return refuse(origin, topic, 'payload is not JSON');
      }
      if (typeof raw !== 'object' || raw === null || (raw as { tp?: unknown }).tp !== topic) {
        return refuse(origin, topic, 'envelope is not stamped for this topic');
      }
      try {
        if (log instanceof RecoveryStore) {
          // Kept per origin (issue 13 recovers from it); a duplicate or stale offset is dropped here,
          // so a publication reaching this node by two routes is delivered once.
          const stored = log.ingest(origin, raw as Envelope, json);
          if (!stored) return refuse(origin, topic, 'duplicate or foreign stream offset');
          return topics.deliverStamped(topic, stored);
        }
        const envelope = parseEnvelope(raw as Envelope);
        if (envelope.e === undefined || envelope.o === undefined) {
          return refuse(origin, topic, 'envelope has no stamp');
        }
        return topics.deliverStamped(topic, { envelope, json });
      } catch (err) {
        return refuse(origin, topic, (err as Error).message);
      }
    },
    subscriberCount: (topic) => topics.subscriberCount(topic),
    localTopics: () => topics.interestKeys(groupInterestKey),
  };
}
