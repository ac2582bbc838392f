import { describe, expect, it } from 'vitest';
import { extractToken, MAX_SCANNED_LENGTH } from './token-source';
import { MAX_TOKEN_LENGTH } from './token-verifier';

describe('extractToken', () => {
  it('reads Authorization: Bearer (scheme case-insensitive, spaces trimmed)', () => {
    expect(extractToken({ authorization: 'Bearer abc.def.ghi' }, {})).toEqual({
      token: 'abc.def.ghi',
      source: 'header',
    });
    expect(extractToken({ authorization: 'bearer   tok  ' }, {})).toEqual({ token: 'tok', source: 'header' });
  });

  it('ignores other schemes and empty bearer values, falling through to the cookie', () => {
    const cookie = 'access_token=c1';
    expect(extractToken({ authorization: 'Basic dXNlcjpwYXNz', cookie }, {})).toEqual({
      token: 'c1',
      source: 'cookie',
    });
    expect(extractToken({ authorization: 'Bearer    ', cookie }, {})).toEqual({
      token: 'c1',
      source: 'cookie',
    });
  });

  it('prefers header over cookie over query', () => {
    const h = { authorization: 'Bearer h', cookie: 'access_token=c', query: 'token=q' };
    expect(extractToken(h, {}).source).toBe('header');
    expect(extractToken({ cookie: h.cookie, query: h.query }, {}).source).toBe('cookie');
    expect(extractToken({ query: h.query }, {})).toEqual({ token: 'q', source: 'query' });
  });

  it('finds the named cookie among others and URL-decodes it', () => {
    const cookie = 'theme=dark; sid=xyz;access_token=a%2Eb%2Ec ; other=1';
    expect(extractToken({ cookie }, {})).toEqual({ token: 'a.b.c', source: 'cookie' });
    expect(extractToken({ cookie: 'x_access_token=no; access_token="quoted"' }, {}).token).toBe('quoted');
    expect(extractToken({ cookie: 'jwt=t1' }, { cookieName: 'jwt' }).token).toBe('t1');
    expect(extractToken({ cookie: 'jwt=t1' }, {})).toEqual({ source: 'none' });
  });

  it('reads the query token (with or without "?"), decoded, unless disabled', () => {
    expect(extractToken({ query: '?format=msgpack&token=a%2Bb+c' }, {}).token).toBe('a+b c');
    expect(extractToken({ query: 'tokenx=1&token=t' }, {}).token).toBe('t');
    expect(extractToken({ query: 'token=t' }, { allowQueryToken: false })).toEqual({ source: 'none' });
  });

  it('returns none when nothing is offered, and skips empty values', () => {
    expect(extractToken({}, {})).toEqual({ source: 'none' });
    expect(extractToken({ cookie: 'access_token=; a=b', query: 'token=' }, {})).toEqual({ source: 'none' });
    expect(extractToken({ cookie: ';;;=;', query: '&&=&' }, {})).toEqual({ source: 'none' });
  });

  it('flags bad percent-encoding as malformed', () => {
    expect(extractToken({ cookie: 'access_token=%E0%A4%A' }, {})).toEqual({
      source: 'cookie',
      rejected: 'malformed',
    });
    expect(extractToken({ query: 'token=%zz' }, {})).toEqual({ source: 'query', rejected: 'malformed' });
  });

  it('rejects over-cap tokens without returning them', () => {
    const big = 'a'.repeat(MAX_TOKEN_LENGTH + 1);
    expect(extractToken({ authorization: `Bearer ${big}` }, {})).toEqual({
      source: 'header',
      rejected: 'too-large',
    });
    expect(extractToken({ cookie: `access_token=${big}` }, {})).toEqual({
      source: 'cookie',
      rejected: 'too-large',
    });
    expect(extractToken({ query: `token=${big}` }, {})).toEqual({ source: 'query', rejected: 'too-large' });
    const ok = 'a'.repeat(MAX_TOKEN_LENGTH);
    expect(extractToken({ cookie: `access_token=${ok}` }, {}).token).toBe(ok);
  });

  it('handles a 5 MB cookie header quickly and treats it as an unusable token', () => {
    const huge = `access_token=${'x'.repeat(5 * 1024 * 1024)}`;
    const pairs = `${'k=v; '.repeat(1024 * 1024)}access_token=real`;
    const t0 = performance.now();
    expect(extractToken({ cookie: huge }, {})).toEqual({ source: 'cookie', rejected: 'too-large' });
    expect(extractToken({ cookie: pairs }, {})).toEqual({ source: 'cookie', rejected: 'too-large' });
    // A bearer header still wins over a huge cookie: the cookie is never looked at.
    expect(extractToken({ authorization: 'Bearer h', cookie: huge }, {})).toEqual({
      token: 'h',
      source: 'header',
    });
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('scans a cookie header just under the cap linearly, even with no "=" at all', () => {
    const semis = ';'.repeat(MAX_SCANNED_LENGTH);
    const t0 = performance.now();
    expect(extractToken({ cookie: semis }, {})).toEqual({ source: 'none' });
    expect(extractToken({ cookie: `${';'.repeat(MAX_SCANNED_LENGTH - 20)}access_token=t` }, {}).token).toBe(
      't',
    );
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
