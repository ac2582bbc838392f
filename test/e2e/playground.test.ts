// The playground in a real Chromium against the real server (`wse-server --dev`, port 0) serving
// the built docs site: connect, chat and presence between two users, E2E over the browser's
// WebCrypto, the IndexedDB offline queue across a reload, and recovery after a dropped connection.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium } from './support/browser';
import { ensureDocsBuilt, ROOT } from './support/docs-build';
import { PlaygroundPage } from './support/playground-page';
import { type PlaygroundServer, startPlaygroundServer } from './support/playground-server';

const ARTIFACTS = join(ROOT, 'test/e2e/artifacts');

/**
 * `wse-server --dev` always advertises recovery and presence in `server_hello`; a server that
 * stops doing so fails the test that needs the feature (it used to be skipped).
 */
async function expectFeature(page: PlaygroundPage, feature: string): Promise<void> {
  expect(await page.features(), `server_hello advertises "${feature}"`).toContain(feature);
}
const TEST_MS = 60_000;

describe.skipIf(!browserAvailable())('playground in chromium', () => {
  let server: PlaygroundServer;
  let browser: Browser;
  const open: PlaygroundPage[] = [];

  const tab = async (user: string) => {
    const p = await PlaygroundPage.open(browser, server.origin, user);
    open.push(p);
    return p;
  };

  beforeAll(async () => {
    browser = await launchChromium(); // first: under CI=true a missing browser fails fast
    await ensureDocsBuilt();
    // Client publishing is off by default (publish policy `deny`), also in dev mode.
    server = await startPlaygroundServer(); // --dev alone must let the playground publish
  }, 240_000);

  afterEach(async () => {
    const errors = open.flatMap((p) => p.pageErrors);
    await Promise.all(open.splice(0).map((p) => p.close()));
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it(
    'a fresh page has a random user name prefilled, so Connect works at once; the site has a favicon',
    async () => {
      const first = await tab('unused');
      const second = await tab('unused');
      const name = await first.prefilledUser();
      expect(name).toMatch(/^[a-z]+-\d{4}$/);
      expect(await second.prefilledUser()).toMatch(/^[a-z]+-\d{4}$/);
      await first.connectAsIs();
      expect(await first.status('user-id')).toBe(name);
      const icon = await fetch(`${server.origin}/favicon.svg`);
      expect(icon.status).toBe(200);
      expect(await icon.text()).toContain('<svg');
    },
    TEST_MS,
  );

  it(
    'loads from the server and connects',
    async () => {
      const ada = await tab('ada');
      await ada.connect();
      expect(await ada.status('user-id')).toBe('ada');
      expect(await ada.status('encrypted')).toBe('off');
      expect((await ada.log()).join('\n')).toContain('connected as ada');
    },
    TEST_MS,
  );

  it(
    'two users chat, JSON and MessagePack (screenshot: artifacts/playground-chat.png)',
    async () => {
      const ada = await tab('ada');
      const bob = await tab('bob');
      await ada.connect();
      await bob.connect({ format: 'msgpack' });
      await ada.subscribe('room:lobby');
      await bob.subscribe('room:lobby');

      await ada.publish('room:lobby', 'hello from ada');
      await bob.waitForMessages(['hello from ada']);
      await bob.publish('room:lobby', 'hi ada, bob here (msgpack)');
      await ada.waitForMessages(['hello from ada', 'hi ada, bob here (msgpack)']);
      expect(await ada.messages()).toEqual(['hello from ada', 'hi ada, bob here (msgpack)']);

      mkdirSync(ARTIFACTS, { recursive: true });
      await ada.screenshot(join(ARTIFACTS, 'playground-chat.png'));
    },
    TEST_MS,
  );

  it(
    'two users see each other in the presence list, and leave it',
    async () => {
      const ada = await tab('ada');
      const bob = await tab('bob');
      await ada.connect();
      await bob.connect();
      await expectFeature(ada, 'presence');
      await ada.subscribe('room:presence');
      await bob.subscribe('room:presence');
      await ada.waitForPresence('room:presence', ['ada', 'bob']);
      await bob.waitForPresence('room:presence', ['ada', 'bob']);

      await bob.close();
      open.splice(open.indexOf(bob), 1);
      await ada.waitForPresence('room:presence', ['ada']);
      mkdirSync(ARTIFACTS, { recursive: true });
      await ada.screenshot(join(ARTIFACTS, 'playground-presence.png'));
    },
    TEST_MS,
  );

  it(
    'end-to-end encryption round-trips through the browser’s WebCrypto',
    async () => {
      const eve = await tab('eve');
      const fay = await tab('fay');
      await eve.connect({ encryption: true });
      await fay.connect({ encryption: true, format: 'msgpack' });
      expect(await eve.status('encrypted')).toBe('on');
      expect(await fay.status('encrypted')).toBe('on');
      await eve.subscribe('room:secret');
      await fay.subscribe('room:secret');
      await eve.publish('room:secret', 'sealed note');
      await eve.waitForMessages(['sealed note']);
      await fay.waitForMessages(['sealed note']);
      await fay.publish('room:secret', 'sealed reply');
      await eve.waitForMessages(['sealed reply']);
    },
    TEST_MS,
  );

  it(
    'queues while offline in IndexedDB, survives a reload, and flushes after reconnecting',
    async () => {
      const carol = await tab('carol');
      const dave = await tab('dave');
      await dave.connect();
      await dave.subscribe('room:queue');
      await carol.connect();
      await carol.subscribe('room:queue');

      await carol.setOffline(true);
      await carol.waitForState('offline');
      await carol.publish('room:queue', 'queued one');
      await carol.publish('room:queue', 'queued two');
      expect(await carol.status('queued')).toBe('2');
      // Both messages are in IndexedDB before the page goes away.
      await carol.page.waitForFunction(async () => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const req = indexedDB.open('wse-playground:carol');
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        const texts: string[] = [];
        for (const name of db.objectStoreNames) {
          const all = await new Promise<unknown[]>((resolve) => {
            const req = db.transaction(name).objectStore(name).getAll();
            req.onsuccess = () => resolve(req.result);
          });
          texts.push(JSON.stringify(all));
        }
        db.close();
        const stored = texts.join('');
        return stored.includes('queued one') && stored.includes('queued two');
      });

      await carol.load(); // a full reload: nothing survives in memory
      expect(await dave.messages()).not.toContain('queued one');
      await carol.connect();
      await dave.waitForMessages(['queued one', 'queued two']);
      expect(await carol.status('queued')).toBe('0');
      const got = (await dave.messages()).filter((t) => t.startsWith('queued'));
      expect(got).toEqual(['queued one', 'queued two']);
    },
    TEST_MS,
  );

  it(
    'drop connection: the client reconnects by itself and its topics are re-subscribed',
    async () => {
      const gus = await tab('gus');
      const hal = await tab('hal');
      await gus.connect();
      await hal.connect();
      await gus.subscribe('room:drop');
      await hal.subscribe('room:drop');

      await gus.drop(2);
      await gus.waitForState('reconnecting');
      await gus.waitForState('connected', 20_000);
      await hal.publish('room:drop', 'after the drop');
      await gus.waitForMessages(['after the drop']);
      const log = (await gus.log()).join('\n');
      expect(log).toMatch(/disconnected: 1006/);
      expect(log.match(/connected as gus/g)).toHaveLength(2);
    },
    TEST_MS,
  );

  it(
    'drop connection: recovery delivers the missed messages exactly once (screenshot: artifacts/playground.png)',
    async () => {
      const ann = await tab('ann');
      const ben = await tab('ben');
      await ann.connect();
      await ben.connect();
      await expectFeature(ann, 'recovery');
      await ann.subscribe('room:recover');
      await ben.subscribe('room:recover');
      await ben.publish('room:recover', 'before the drop');
      await ann.waitForMessages(['before the drop']);

      await ann.drop(4);
      await ann.page.waitForFunction(
        (sel) => document.querySelector(sel)?.textContent?.trim() !== 'connected',
        '[data-testid="state"]',
      );
      const missed = ['missed 1', 'missed 2', 'missed 3'];
      for (const text of missed) await ben.publish('room:recover', text);
      await ben.waitForMessages(missed);

      await ann.waitForState('connected', 20_000);
      await ann.waitForMessages(missed);
      await ben.publish('room:recover', 'after the reconnect');
      await ann.waitForMessages(['after the reconnect']);

      const seen = await ann.messages();
      for (const text of ['before the drop', ...missed, 'after the reconnect']) {
        expect(
          seen.filter((t) => t === text),
          text,
        ).toHaveLength(1);
      }
      expect(await ann.replayed()).toEqual(missed);
      // The picture worth keeping: presence, live and recovered messages, and the reconnect in the log.
      await ann.waitForPresence('room:recover', ['ann', 'ben']);
      mkdirSync(ARTIFACTS, { recursive: true });
      await ann.screenshot(join(ARTIFACTS, 'playground.png'));
      expect((await ann.log()).join('\n')).toMatch(/disconnected: 1006/);
    },
    TEST_MS,
  );
});
