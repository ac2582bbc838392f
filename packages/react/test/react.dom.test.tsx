import { act, render, screen, waitFor } from '@testing-library/react';
import { connectionHealthOf as coreHealthOf, createClient, type WSEClient } from '@wse/core-client';
import { StrictMode, useState } from 'react';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  clientOptions,
  countingSocket,
  SECRET,
  startServer,
  subscribesTo,
  type TestServer,
  userTopics,
} from '../../../test/support/wse-server';
import { connectionHealthOf, usePresence, useTopic, useWSE, useWSEEvent, WSEProvider } from '../src';

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ auth: { secret: SECRET }, presence: {} });
});
afterAll(() => t.server.stop());
// Every test starts from an empty server (clients of the previous test close after their linger).
beforeEach(() => waitFor(() => expect(t.server.connectionCount()).toBe(0)));

const LINGER = 30;

function Room({ name }: { name: string }) {
  const [texts, setTexts] = useState<string[]>([]);
  // `server.broadcastLocal(topic, data)` arrives as `publication {topic, data}`.
  useTopic<{ data: { text: string } }>('room', (m) => setTexts((all) => [...all, m.payload.data.text]), {
    presence: { name },
  });
  const members = usePresence('room');
  return (
    <>
      <p data-testid="texts">{texts.join(',')}</p>
      <p data-testid="members">{Object.keys(members).sort().join(',')}</p>
    </>
  );
}

function Worker({ tag, got }: { tag: string; got: string[] }) {
  useTopic<{ data: number }>('jobs', (m) => got.push(`${tag}:${m.payload.data}`), { queueGroup: 'workers' });
  return null;
}

function Status() {
  const { state, connectionHealth, topics } = useWSE();
  return <p data-testid="status">{`${state}/${connectionHealth}/${topics.join(',')}`}</p>;
}

const text = (id: string) => screen.getByTestId(id).textContent;

function Rooms({ rooms }: { rooms: number }) {
  return (
    <WSEProvider options={clientOptions(t.url, 'ada')} lingerMs={LINGER}>
      <Status />
      {['first', 'second'].slice(0, rooms).map((key) => (
        <Room key={key} name="Ada" />
      ))}
    </WSEProvider>
  );
}

function Seed() {
  const { isConnected, connectionHealth, topics } = useWSE({
    ...clientOptions(t.url, 'ada'),
    topics: ['news'],
    lingerMs: LINGER,
  });
  return <p data-testid="seed">{`${isConnected}/${connectionHealth}/${topics.join(',')}`}</p>;
}

function Listener({ tag, calls }: { tag: string; calls: string[] }) {
  useTopic('room', () => {});
  useWSEEvent<{ text: string }>('chat', (m) => calls.push(`${tag}:${m.payload.text}`));
  return null;
}

function Reconnector({ into }: { into: { reconnect?: () => Promise<void> } }) {
  into.reconnect = useWSE().reconnect;
  return null;
}

describe('@wse/react against the reference server', () => {
  it('connects and renders topic events', async () => {
    render(
      <WSEProvider options={clientOptions(t.url, 'ada')} lingerMs={LINGER}>
        <Status />
        <Room name="Ada" />
      </WSEProvider>,
    );
    await waitFor(() => expect(text('status')).toBe('connected/healthy/room'));
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
    t.server.broadcastLocal('room', { text: 'hello' });
    t.server.broadcastLocal('other', { text: 'not for us' });
    t.server.broadcastLocal('room', { text: 'again' });
    await waitFor(() => expect(text('texts')).toBe('hello,again'));
  });

  it('updates the presence list when a second user joins and leaves', async () => {
    render(
      <WSEProvider options={clientOptions(t.url, 'ada')} lingerMs={LINGER}>
        <Room name="Ada" />
      </WSEProvider>,
    );
    await waitFor(() => expect(text('members')).toBe('ada'));
    const bob: WSEClient = createClient(clientOptions(t.url, 'bob'));
    try {
      await bob.subscribe(['room'], { presence: { name: 'Bob' } });
      await waitFor(() => expect(text('members')).toBe('ada,bob'));
    } finally {
      await bob.close();
    }
    await waitFor(() => expect(text('members')).toBe('ada'));
  });

  it('unsubscribes on the server after the last user of a topic unmounts', async () => {
    const { rerender } = render(<Rooms rooms={2} />);
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
    rerender(<Rooms rooms={1} />);
    await new Promise((r) => setTimeout(r, LINGER * 3));
    expect(userTopics(t.server, 'ada')).toEqual(['room']); // one user left: still subscribed
    rerender(<Rooms rooms={0} />);
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual([]));
    expect(text('status')).toBe('connected/healthy/');
  });

  it('opens exactly one socket and subscribes once under StrictMode', async () => {
    const { WebSocket, log } = countingSocket();
    const options = clientOptions(t.url, 'ada', WebSocket);
    const strictApp = (rooms: number) => (
      <StrictMode>
        <WSEProvider options={options} lingerMs={LINGER}>
          <Status />
          {rooms > 0 && <Room name="Ada" />}
        </WSEProvider>
      </StrictMode>
    );
    const { rerender } = render(strictApp(0));
    await waitFor(() => expect(text('status')).toBe('connected/healthy/'));
    // Mounted while connected, so StrictMode's mount → unmount → mount of its effects would send
    // subscribe, unsubscribe, subscribe if the release were not delayed.
    rerender(strictApp(1));
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
    await new Promise((r) => setTimeout(r, LINGER * 3)); // past any close/unsubscribe a remount could schedule
    expect(t.server.connectionCount()).toBe(1);
    expect(log.opened).toBe(1);
    expect(subscribesTo(log, 'room')).toBe(1);
    expect(log.sent.filter((f) => f.t === 'subscription_update' && f.p.action === 'unsubscribe')).toEqual([]);
    expect(userTopics(t.server, 'ada')).toEqual(['room']);
  });

  it('useWSE().reconnect drops the socket and reconnects, topics re-subscribed', async () => {
    const { WebSocket, log } = countingSocket();
    const actions: { reconnect?: () => Promise<void> } = {};
    render(
      <WSEProvider options={clientOptions(t.url, 'ada', WebSocket)} lingerMs={LINGER}>
        <Room name="Ada" />
        <Reconnector into={actions} />
      </WSEProvider>,
    );
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
    await act(() => actions.reconnect!());
    expect(log.opened).toBe(2);
    await waitFor(() => expect(t.server.connectionCount()).toBe(1));
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
  });

  it('opens no socket during server rendering', async () => {
    const { WebSocket, log } = countingSocket();
    const html = renderToString(
      <WSEProvider options={clientOptions(t.url, 'ada', WebSocket)}>
        <Status />
        <Room name="Ada" />
      </WSEProvider>,
    );
    expect(html).toContain('idle/disconnected/');
    await new Promise((r) => setTimeout(r, 50));
    expect(log.opened).toBe(0);
    expect(t.server.connectionCount()).toBe(0);
  });

  it('useWSE({ topics, endpoints }) works without a provider (seed shape)', async () => {
    const { unmount } = render(<Seed />);
    await waitFor(() => expect(text('seed')).toBe('true/healthy/news'));
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['news']));
    unmount();
    await waitFor(() => expect(t.server.connectionCount()).toBe(0)); // its own client closes after the linger
  });

  it('useWSEEvent calls the latest handler without re-registering', async () => {
    const calls: string[] = [];
    const client = createClient(clientOptions(t.url, 'ada'));
    const on = vi.spyOn(client, 'on');
    const { rerender } = render(
      <WSEProvider client={client} lingerMs={LINGER}>
        <Listener tag="a" calls={calls} />
      </WSEProvider>,
    );
    await waitFor(() => expect(userTopics(t.server, 'ada')).toEqual(['room']));
    rerender(
      <WSEProvider client={client} lingerMs={LINGER}>
        <Listener tag="b" calls={calls} />
      </WSEProvider>,
    );
    await act(async () => {
      t.server.broadcastLocal('room', { t: 'chat', p: { text: 'x' } });
    });
    await waitFor(() => expect(calls).toEqual(['b:x']));
    expect(on.mock.calls.filter(([type]) => type === 'chat')).toHaveLength(1);
  });

  it('useTopic({ queueGroup }) joins the group: each job reaches one of the two workers', async () => {
    const got: string[] = [];
    render(
      <>
        <WSEProvider options={clientOptions(t.url, 'w1')} lingerMs={LINGER}>
          <Worker tag="a" got={got} />
        </WSEProvider>
        <WSEProvider options={clientOptions(t.url, 'w2')} lingerMs={LINGER}>
          <Worker tag="b" got={got} />
        </WSEProvider>
      </>,
    );
    await waitFor(() => expect(t.server.queueGroupStats('jobs')).toEqual({ workers: 2 }));
    for (let n = 0; n < 4; n++) t.server.broadcast('jobs', n);
    await waitFor(() => expect(got).toHaveLength(4));
    expect(got.map((g) => Number(g.split(':')[1])).sort()).toEqual([0, 1, 2, 3]);
    expect(got.filter((g) => g.startsWith('a:'))).toHaveLength(2);
  });

  it('connectionHealthOf is the core function, re-exported (no copy in the binding)', () => {
    expect(connectionHealthOf).toBe(coreHealthOf);
  });
});
