import { describe, expect, it } from 'vitest';
import { checkPublishPolicy, publishAllowed } from './publish-policy';

const prefix = (glob: string, value: string) =>
  glob.endsWith('*') ? value.startsWith(glob.slice(0, -1)) : glob === value;

describe('publishAllowed', () => {
  it('handles allow and deny', () => {
    expect(publishAllowed('allow', 'x', prefix)).toBe(true);
    expect(publishAllowed('deny', 'x', prefix)).toBe(false);
  });

  it('first matching rule wins, no match denies', () => {
    const policy = [
      { topics: 'chat.secret', allow: false },
      { topics: 'chat.*', allow: true },
    ];
    expect(publishAllowed(policy, 'chat.lobby', prefix)).toBe(true);
    expect(publishAllowed(policy, 'chat.secret', prefix)).toBe(false);
    expect(publishAllowed(policy, 'news', prefix)).toBe(false);
  });
});

describe('checkPublishPolicy', () => {
  it('accepts valid policies and names bad rules', () => {
    expect(checkPublishPolicy('deny')).toBeNull();
    expect(checkPublishPolicy([{ topics: 'a', allow: true }])).toBeNull();
    expect(checkPublishPolicy('maybe')).toMatch(/allow/);
    expect(checkPublishPolicy([{ topics: 'a' }])).toMatch(/rule 0/);
  });
});
