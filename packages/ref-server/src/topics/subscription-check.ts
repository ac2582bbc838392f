import type { ErrorCodeValue } from '@wse/core-client/protocol';

export interface FailedTopic {
  topic: string;
  code: ErrorCodeValue;
  message: string;
}

/** A parsed `subscription_update` request. */
export interface SubscriptionRequest {
  action: 'subscribe' | 'unsubscribe';
  topics: string[];
  presence?: Record<string, unknown>;
  recover: boolean;
  recovery?: Record<string, unknown>;
  /** `queue_group` (docs-site/protocol §4): subscribe as a member of this group. */
  queueGroup?: string;
}

export type ParsedRequest =
  | { ok: true; request: SubscriptionRequest }
  | { ok: false; code: ErrorCodeValue; message: string };

/**
 * Parses `subscription_update` (and its aliases). `defaultAction` is 'subscribe' for the alias
 * `subscribe`. A request naming more topics than a connection may ever hold is refused whole, before
 * any topic is looked at (a 10 000-topic request costs nothing).
 *
 * @example
 * parseSubscriptionRequest({ action: 'subscribe', topics: ['a'] }, 128);
 */
export function parseSubscriptionRequest(
  p: Record<string, unknown>,
  maxTopics: number,
  defaultAction = 'subscribe',
): ParsedRequest {
  const action = p.action ?? defaultAction;
  if (action !== 'subscribe' && action !== 'unsubscribe') {
    return { ok: false, code: 'INVALID_ACTION', message: 'action must be "subscribe" or "unsubscribe"' };
  }
  const raw = p.topics ?? (typeof p.topic === 'string' ? [p.topic] : undefined);
  if (!Array.isArray(raw))
    return { ok: false, code: 'INVALID_SUBSCRIPTION', message: 'topics must be an array of strings' };
  if (raw.length > maxTopics) {
    return {
      ok: false,
      code: 'TOO_MANY_SUBSCRIPTIONS',
      message: `at most ${maxTopics} topics per connection (request names ${raw.length})`,
    };
  }
  const presence = p.presence;
  const request: SubscriptionRequest = { action, topics: raw as string[], recover: p.recover === true };
  if (p.queue_group !== undefined && p.queue_group !== null && action === 'subscribe') {
    const problem = validateGroupName(p.queue_group);
    if (problem !== null)
      return { ok: false, code: 'INVALID_SUBSCRIPTION', message: `queue_group: ${problem}` };
    request.queueGroup = p.queue_group as string;
  }
  if (isObject(presence)) request.presence = presence;
  if (isObject(p.recovery)) request.recovery = p.recovery;
  return { ok: true, request };
}

/** Longest queue-group name, in UTF-16 units (decided here). */
export const MAX_GROUP_NAME = 128;

/**
 * Checks a queue-group name: a string of 1..128 characters without control characters. Returns
 * null when valid, else the reason.
 *
 * @example
 * validateGroupName('workers'); // null
 * validateGroupName('');        // 'must be a non-empty string'
 */
export function validateGroupName(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
  if (name.length > MAX_GROUP_NAME) return `must be at most ${MAX_GROUP_NAME} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  return null;
}

/** A client's position in one stream (`subscription_update.p.recovery`). */
export interface ClientPosition {
  epoch: string;
  offset: number;
}

/** Most epochs accepted for one topic in a recovery request (a cluster has one per node). */
export const MAX_POSITIONS_PER_TOPIC = 32;

/**
 * The positions a recovery request gives for `topic`: `undefined` when it gives none (the topic
 * is subscribed "from now"), `null` when what it gives is malformed (answered `recovered: false`),
 * else the list. Accepts `{epoch, offset}` or an array of them (docs-site/protocol §4).
 *
 * @example
 * positionsFor({ chat: { epoch: '0a1b2c3d', offset: 41 } }, 'chat'); // [{ epoch: '0a1b2c3d', offset: 41 }]
 */
export function positionsFor(
  recovery: Record<string, unknown> | undefined,
  topic: string,
): ClientPosition[] | null | undefined {
  if (!recovery || !Object.hasOwn(recovery, topic)) return undefined;
  const raw = recovery[topic];
  if (raw === undefined || raw === null) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) return undefined;
  if (list.length > MAX_POSITIONS_PER_TOPIC) return null;
  const out: ClientPosition[] = [];
  for (const p of list) {
    if (!isObject(p)) return null;
    const { epoch, offset } = p;
    if (typeof epoch !== 'string' || typeof offset !== 'number' || !Number.isSafeInteger(offset)) return null;
    out.push({ epoch, offset });
  }
  return out;
}

export interface TopicChecks {
  validateName(topic: unknown): string | null;
  aclAllows(topic: string): boolean;
  /** Optional application hook; may be async. Throwing counts as a refusal. */
  authorize?: (topic: string) => boolean | Promise<boolean>;
  isSubscribed(topic: string): boolean;
  currentCount: number;
  maxSubscriptions: number;
  /** The server-wide bound (`maxTopics`): topics with at least one subscriber on this node. */
  topics?: { exists(topic: string): boolean; count: number; max: number };
}

/**
 * Decides each topic of a subscribe request: name, then the token ACL, then the limit, then the
 * application hook. Duplicates are answered once. Sync when no hook is configured.
 *
 * @example
 * const { accepted, failed } = await checkSubscribe(['a', 'b\n'], checks);
 */
export function checkSubscribe(
  topics: unknown[],
  checks: TopicChecks,
): { accepted: string[]; failed: FailedTopic[] } | Promise<{ accepted: string[]; failed: FailedTopic[] }> {
  const candidates: string[] = [];
  const failed: FailedTopic[] = [];
  const seen = new Set<string>();
  let count = checks.currentCount;
  let serverTopics = checks.topics?.count ?? 0;
  for (const topic of topics) {
    const problem = checks.validateName(topic);
    if (problem !== null) {
      failed.push({ topic: printable(topic), code: 'INVALID_SUBSCRIPTION', message: problem });
      continue;
    }
    const name = topic as string;
    if (seen.has(name)) continue;
    seen.add(name);
    if (!checks.aclAllows(name)) {
      failed.push({ topic: name, code: 'FORBIDDEN', message: 'topic not allowed by the token (wse_topics)' });
    } else if (!checks.isSubscribed(name) && count >= checks.maxSubscriptions) {
      failed.push({
        topic: name,
        code: 'TOO_MANY_SUBSCRIPTIONS',
        message: `limit is ${checks.maxSubscriptions}`,
      });
    } else if (checks.topics && !checks.topics.exists(name) && serverTopics >= checks.topics.max) {
      failed.push({
        topic: name,
        code: 'TOO_MANY_SUBSCRIPTIONS',
        message: `the server holds its limit of ${checks.topics.max} topics (maxTopics)`,
      });
    } else {
      if (checks.topics && !checks.topics.exists(name)) serverTopics++;
      if (!checks.isSubscribed(name)) count++;
      candidates.push(name);
    }
  }
  if (!checks.authorize || candidates.length === 0) return { accepted: candidates, failed };
  return authorizeAll(candidates, failed, checks.authorize);
}

async function authorizeAll(
  candidates: string[],
  failed: FailedTopic[],
  authorize: (topic: string) => boolean | Promise<boolean>,
): Promise<{ accepted: string[]; failed: FailedTopic[] }> {
  const verdicts = await Promise.all(
    candidates.map(async (topic) => {
      try {
        return (await authorize(topic)) === true;
      } catch {
        return false;
      }
    }),
  );
  const accepted: string[] = [];
  candidates.forEach((topic, i) => {
    if (verdicts[i]) accepted.push(topic);
    else failed.push({ topic, code: 'FORBIDDEN', message: 'not authorized for this topic' });
  });
  return { accepted, failed };
}

/** Splits an unsubscribe request into valid names and failures. */
export function checkUnsubscribe(
  topics: unknown[],
  validateName: (topic: unknown) => string | null,
): { accepted: string[]; failed: FailedTopic[] } {
  const accepted = new Set<string>();
  const failed: FailedTopic[] = [];
  for (const topic of topics) {
    const problem = validateName(topic);
    if (problem === null) accepted.add(topic as string);
    else failed.push({ topic: printable(topic), code: 'INVALID_SUBSCRIPTION', message: problem });
  }
  return { accepted: [...accepted], failed };
}

/** Echo a bad topic back safely: strings are cut to 256 chars, anything else is described. */
function printable(topic: unknown): string {
  if (typeof topic === 'string') return topic.slice(0, 256);
  return `<${topic === null ? 'null' : typeof topic}>`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
