import { describe, expect, it } from 'vitest';
import type { BrowserGlobals, EnvironmentEvent } from './environment';
import { createBrowserEnvironment, defaultEnvironment, nodeEnvironment } from './environment';
import { ManualEnvironment } from './manual-environment';

function fakeBrowser(onLine = true) {
  const win = new EventTarget();
  const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
  const globals: BrowserGlobals = { navigator: { onLine }, window: win, document: doc };
  return { globals, win, doc };
}

describe('nodeEnvironment', () => {
  it('is always online and never emits', () => {
    expect(nodeEnvironment.isOnline()).toBe(true);
    const stop = nodeEnvironment.subscribe(() => {
      throw new Error('must not be called');
    });
    stop();
  });
});

describe('createBrowserEnvironment', () => {
  it('reads navigator.onLine at call time', () => {
    const { globals } = fakeBrowser(false);
    const env = createBrowserEnvironment(() => globals);
    expect(env.isOnline()).toBe(false);
    globals.navigator = { onLine: true };
    expect(env.isOnline()).toBe(true);
  });

  it('does not read globals when created', () => {
    let reads = 0;
    const env = createBrowserEnvironment(() => {
      reads += 1;
      return {};
    });
    expect(reads).toBe(0);
    expect(env.isOnline()).toBe(true); // no navigator → assume online
    expect(reads).toBe(1);
  });

  it('maps window/document events and stops after unsubscribe', () => {
    const { globals, win, doc } = fakeBrowser();
    const env = createBrowserEnvironment(() => globals);
    const seen: EnvironmentEvent[] = [];
    const stop = env.subscribe((ev) => seen.push(ev));
    win.dispatchEvent(new Event('offline'));
    win.dispatchEvent(new Event('online'));
    win.dispatchEvent(new Event('pageshow'));
    doc.dispatchEvent(new Event('visibilitychange')); // still hidden: ignored
    doc.visibilityState = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(seen).toEqual(['offline', 'online', 'pageshow', 'visible']);
    stop();
    stop(); // idempotent
    win.dispatchEvent(new Event('online'));
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(seen).toHaveLength(4);
  });

  it('works without window/document', () => {
    const env = createBrowserEnvironment(() => ({ navigator: { onLine: true } }));
    const stop = env.subscribe(() => {});
    stop();
    expect(env.isOnline()).toBe(true);
  });
});

describe('defaultEnvironment', () => {
  it('is the node source in Node and the browser source with window+document', () => {
    expect(defaultEnvironment({})).toBe(nodeEnvironment);
    expect(defaultEnvironment()).toBe(nodeEnvironment);
    const { globals } = fakeBrowser();
    expect(defaultEnvironment(globals)).not.toBe(nodeEnvironment);
  });
});

describe('ManualEnvironment', () => {
  it('emits online/offline only on change and supports unsubscribe', () => {
    const env = new ManualEnvironment(false);
    const seen: EnvironmentEvent[] = [];
    const stop = env.subscribe((ev) => seen.push(ev));
    env.setOnline(false);
    env.setOnline(true);
    env.setOnline(true);
    env.emit('visible');
    expect(seen).toEqual(['online', 'visible']);
    expect(env.isOnline()).toBe(true);
    expect(env.listenerCount).toBe(1);
    stop();
    expect(env.listenerCount).toBe(0);
    env.setOnline(false);
    expect(seen).toHaveLength(2);
  });
});
