/** Who may publish from a client (docs-site/protocol §4, "Client publish"): everyone, no one, or per topic glob. */
export type PublishPolicy = 'deny' | 'allow' | Array<{ topics: string; allow: boolean }>;

/**
 * Decides a client `publish`. Rules are read in order and the first matching glob wins; no match
 * denies. The glob matcher is injected (the auth module owns glob semantics, one implementation).
 *
 * @example
 * const may = publishAllowed([{ topics: 'chat.*', allow: true }], 'chat.lobby', matchGlob); // true
 */
export function publishAllowed(
  policy: PublishPolicy,
  topic: string,
  match: (glob: string, value: string) => boolean,
): boolean {
  if (policy === 'allow') return true;
  if (policy === 'deny') return false;
  for (const rule of policy) {
    if (match(rule.topics, topic)) return rule.allow;
  }
  return false;
}

/** Returns a message naming the problem, or null when the policy is well formed. */
export function checkPublishPolicy(value: unknown): string | null {
  if (value === 'allow' || value === 'deny') return null;
  if (!Array.isArray(value)) return "must be 'allow', 'deny' or an array of { topics, allow }";
  for (const [i, rule] of value.entries()) {
    const ok =
      typeof rule === 'object' &&
      rule !== null &&
      typeof (rule as { topics?: unknown }).topics === 'string' &&
      typeof (rule as { allow?: unknown }).allow === 'boolean';
    if (!ok) return `rule ${i} must be { topics: string, allow: boolean }`;
  }
  return null;
}
