import { mount, type VueWrapper } from '@vue/test-utils';
import { createClient } from '@wse/core-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSSRApp, defineComponent, h, ref } from 'vue';
import { renderToString } from 'vue/server-renderer';
import {
  clientOptions,
  countingSocket,
  SECRET,
  startServer,
  subscribesTo,
  type TestServer,
  userTopics,
} from '../../../test/support/wse-server';
import { createWSE, usePresence, useTopic, useWSE } from '../src';

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ auth: { secret: SECRET }, presence: {} });
});
afterAll(() => t.server.stop());
beforeEach(() => vi.waitFor(() => expect(t.server.connectionCount()).toBe(0)));
const mounted: VueWrapper[] = [];
afterEach(() => {
  for (const w of mounted.splice(0)) w.unmount();
});

const LINGER = 30;
const waitFor = (fn: () => void) => vi.waitFor(fn, { timeout: 3000, interval: 10 });

const Status = defineComponent(() => {
  const { state, isConnected, topics } = useWSE();
  return () => h('p', { id: 'status' }, `${state.value}/${isConnected.value}/${topics.value.join(',')}`);
});

// `server.broadcastLocal(topic, data)` arrives as `publication {topic, data}`.
const Room = defineComponent(() => {
  const texts = ref<string[]>([]);
  const last = useTopic<{ data: { text: string } }>('room', (m) => texts.value.push(m.payload.data.text), {
    presence: { name: 'Ada' },
  });
  const members = usePresence('room');
  return () =>
    h('div', [
      h('p', { id: 'texts' }, texts.value.join(',')),
      h('p', { id: 'last' }, last.value?.payload.data.text ?? ''),
      h('p', { id: 'members' }, Object.keys(members.value).sort().join(',')),
    ]);
});

function app(
  children: () => ReturnType<typeof h>[],
  plugin = createWSE({ ...clientOptions(t.url, 'ada'), lingerMs: LINGER }),
) {
  const wrapper = mount(
    defineComponent(() => () => h('div', children())),
    { global: { plugins: [plugin] } },
  );
  mounted.push(wrapper);
  return wrapper;
}

describe('@wse/vue against the reference server', () => {
  it('connects and renders topic events', async () => {
    const w = app(() => [h(Status), h(Room)]);
    await waitFor(() => expect(w.find('#status').text()).toBe('connected/true/room'));
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
    t.server.broadcastLocal('room', { text: 'hello' });
    t.server.broadcastLocal('other', { text: 'not for us' });
    t.server.broadcastLocal('room', { text: 'again' });
    await waitFor(() => expect(w.find('#texts').text()).toBe('hello,again'));
    expect(w.find('#last').text()).toBe('again');
  });

  it('updates the presence list when a second user joins and leaves', async () => {
    const w = app(() => [h(Room)]);
    await waitFor(() => expect(w.find('#members').text()).toBe('ada'));
    const bob = createClient(clientOptions(t.url, 'bob'));
    try {
      await bob.subscribe(['room'], { presence: { name: 'Bob' } });
      await waitFor(() => expect(w.find('#members').text()).toBe('ada,bob'));
    } finally {
      await bob.close();
    }
    await waitFor(() => expect(w.find('#members').text()).toBe('ada'));
  });

  it('subscribes once for two users and unsubscribes after the last one unmounts', async () => {
    const { WebSocket, log } = countingSocket();
    const rooms = ref(2);
    const plugin = createWSE({ ...clientOptions(t.url, 'ada', WebSocket), lingerMs: LINGER });
    const w = app(
      () => [h(Status), ...Array.from({ length: rooms.value }, (_, i) => h(Room, { key: i }))],
      plugin,
    );
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
    rooms.value = 1;
    await new Promise((r) => setTimeout(r, LINGER * 3));
    expect(userTopics(t.server, 'ada')).toEqual(['room']);
    rooms.value = 0;
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual([]));
    expect(subscribesTo(log, 'room')).toBe(1);
    expect(log.opened).toBe(1);
    expect(w.find('#status').text()).toBe('connected/true/');
  });

  it('opens no socket during server rendering', async () => {
    const { WebSocket, log } = countingSocket();
    const plugin = createWSE({ ...clientOptions(t.url, 'ada', WebSocket), lingerMs: LINGER });
    const ssrApp = createSSRApp(defineComponent(() => () => h('div', [h(Status), h(Room)])));
    ssrApp.use(plugin);
    const html = await renderToString(ssrApp);
    expect(html).toContain('idle/false/');
    await new Promise((r) => setTimeout(r, 50));
    expect(log.opened).toBe(0);
    expect(t.server.connectionCount()).toBe(0);
  });

  it('useWSE().connectionHealth follows the snapshot through connectionHealthOf', async () => {
    const Health = defineComponent(() => {
      const { connectionHealth } = useWSE();
      return () => h('p', { id: 'health' }, connectionHealth.value);
    });
    const plugin = createWSE({ ...clientOptions(t.url, 'ada'), lingerMs: LINGER });
    const w = app(() => [h(Health)], plugin);
    await waitFor(() => expect(w.find('#health').text()).toBe('healthy'));
    expect(plugin.client.getSnapshot().state).toBe('connected');
    await plugin.client.close();
    await waitFor(() => expect(w.find('#health').text()).toBe('disconnected'));
  });

  it('closes the socket a moment after the last composable is gone', async () => {
    const plugin = createWSE({ ...clientOptions(t.url, 'ada'), lingerMs: LINGER });
    const w = app(() => [h(Status)], plugin);
    await waitFor(() => expect(t.server.connectionCount()).toBe(1));
    w.unmount();
    mounted.length = 0;
    await waitFor(() => expect(t.server.connectionCount()).toBe(0));
    expect(plugin.client.getSnapshot().state).toBe('closed');
  });

  it('useTopic({ queueGroup }) subscribes as a member of the group', async () => {
    const got: number[] = [];
    const Worker = defineComponent(() => {
      useTopic<{ data: number }>('jobs', (m) => got.push(m.payload.data), { queueGroup: 'workers' });
      return () => h('p');
    });
    app(() => [h(Worker)]);
    await waitFor(() => expect(t.server.queueGroupStats('jobs')).toEqual({ workers: 1 }));
    t.server.broadcast('jobs', 7);
    await waitFor(() => expect(got).toEqual([7]));
  });
});
