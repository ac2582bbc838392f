import type { Envelope } from '@wse/core-client/protocol';
import { identityAllows, validateTopicName } from '../auth/topic-acl';
import type { TopicService } from '../topics/topic-service';
import type { Connection } from './connection';

/**
 * Answers `queue_group_stats {topic}` with `queue_group_stats {topic, groups: {name: members}}`
 * (docs-site/protocol §4), carrying the request's `cid`. Decided here: the asker needs the topic to be
 * allowed by its ACL (token `wse_topics` and any runtime ACL), not to be subscribed — a dispatcher
 * may watch a worker pool it is not part of; otherwise `FORBIDDEN`. Counts are this node's members.
 *
 * @example
 * if (env.t === 'queue_group_stats') return answerQueueGroupStats(topics, conn, env);
 */
export function answerQueueGroupStats(topics: TopicService, conn: Connection, env: Envelope): void {
  const topic = env.p.topic;
  if (typeof topic !== 'string' || validateTopicName(topic) !== null) {
    conn.sendError('INVALID_MESSAGE', 'queue_group_stats: p.topic must be a topic name', {}, env.cid);
    return;
  }
  if (!identityAllows(conn.identity, topic)) {
    conn.sendError('FORBIDDEN', `queue_group_stats: "${topic}" is not allowed`, { topic }, env.cid);
    return;
  }
  conn.sendEvent('queue_group_stats', { topic, groups: topics.queueGroupStats(topic) }, { cid: env.cid });
}
