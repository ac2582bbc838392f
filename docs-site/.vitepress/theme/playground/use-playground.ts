/**
 * The playground's state and actions as one Vue composable: a dev token for a user name, one
 * `@wse/core-client` client over the {@link LabNetwork}, and reactive views of its snapshot,
 * messages, presence and events. Components only render these and call the actions.
 *
 * @module
 */

import {
  type ClientMessage,
  type ClientSnapshot,
  createClient,
  IndexedDBQueueStorage,
  type PresenceMembers,
  type WSEClient,
  type WSEError,
} from '@wse/core-client';
import { onScopeDispose, reactive, ref, shallowRef } from 'vue';
import { LabNetwork } from './lab-network';
import { createTokenSource, defaultServerUrl, wsEndpoint } from './server-url';
import { randomUserName } from './user-name';

/** One line of the event log. */
export interface LogEntry {
  readonly n: number;
  readonly at: string;
  readonly kind: 'state' | 'session' | 'message' | 'presence' | 'error' | 'queue' | 'net' | 'recovery';
  readonly text: string;
}

/** One received topic message, as the message list shows it. */
export interface ChatLine {
  readonly key: number;
  readonly id: string;
  readonly topic: string;
  readonly from: string;
  readonly text: string;
  readonly offset?: number;
  /** Sent before this session started: it reached us through recovery. */
  readonly replayed: boolean;
}

/** What the connect form asks for. */
export interface ConnectForm {
  user: string;
  server: string;
  format: 'json' | 'msgpack';
  encryption: boolean;
}

const MAX_LOG = 300;
const MAX_LINES = 500;
const FORM_KEY = 'wse-playground:form';

function loadForm(): ConnectForm {
  // A random name, so Connect works at once (two tabs get two users); a saved name wins.
  const base: ConnectForm = {
    user: randomUserName(),
    server: defaultServerUrl(),
    format: 'json',
    encryption: false,
  };
  try {
    const saved = JSON.parse(localStorage.getItem(FORM_KEY) ?? '{}') as Partial<ConnectForm>;
    // The server is always this page's origin at first: a saved one may be a port long gone.
    return { ...base, ...saved, user: saved.user?.trim() || base.user, server: base.server };
  } catch {
    return base;
  }
}

function textOf(msg: ClientMessage): { topic: string; from: string; text: string } {
  const p = msg.payload as Record<string, unknown>;
  // A client publish of {t, p} arrives as that event; plain data arrives as `publication {topic, data}`.
  const body = (typeof p.data === 'object' && p.data !== null ? p.data : p) as Record<string, unknown>;
  const topic = msg.topic ?? (typeof p.topic === 'string' ? p.topic : '');
  const text = typeof body.text === 'string' ? body.text : JSON.stringify(p);
  return { topic, from: typeof body.from === 'string' ? body.from : '?', text };
}

/**
 * Creates the playground state. Call inside a component's `setup`; the client is closed when the
 * component's scope ends.
 *
 * @example
 * ```ts
 * const pg = usePlayground();
 * pg.form.user = 'ada';
 * await pg.connect();
 * await pg.subscribe('room:lobby');
 * pg.publish('room:lobby', 'hello');
 * ```
 */
export function usePlayground() {
  const form = reactive(loadForm());
  const snapshot = shallowRef<ClientSnapshot | null>(null);
  const log = ref<LogEntry[]>([]);
  const lines = ref<ChatLine[]>([]);
  const presence = ref<Record<string, PresenceMembers>>({});
  const offline = ref(false);
  const features = ref<string[]>([]);
  const busy = ref(false);
  const net = new LabNetwork();
  let client: WSEClient | null = null;
  let stopStore: (() => void) | null = null;
  let sessionStart = 0;
  let counter = 0;

  const add = (kind: LogEntry['kind'], text: string) => {
    const entry = { n: ++counter, at: new Date().toISOString().slice(11, 23), kind, text };
    log.value = [entry, ...log.value].slice(0, MAX_LOG);
  };

  const onMessage = (msg: ClientMessage) => {
    const { topic, from, text } = textOf(msg);
    const replayed = msg.ts !== undefined && Date.parse(msg.ts) < sessionStart;
    const line: ChatLine = {
      key: ++counter,
      id: msg.id ?? '',
      topic,
      from,
      text,
      offset: msg.offset,
      replayed,
    };
    lines.value = [...lines.value, line].slice(-MAX_LINES);
    const where = msg.offset === undefined ? '' : ` @${msg.epoch}:${msg.offset}`;
    add('message', `${msg.type} on ${topic || '—'}${where}${replayed ? ' (replayed)' : ''}: ${text}`);
  };

  function wire(c: WSEClient): void {
    stopStore = c.subscribe((s: ClientSnapshot) => {
      snapshot.value = s;
    });
    snapshot.value = c.getSnapshot();
    c.on('state', (state) => add('state', state));
    c.on('connected', (info) => {
      sessionStart = Date.now();
      features.value = Object.entries(info.features)
        .filter(([, on]) => on === true)
        .map(([name]) => name)
        .sort();
      add(
        'session',
        `connected as ${info.userId ?? '?'} (${info.connectionId}), encrypted: ${info.encrypted}`,
      );
      add('session', `server features: ${features.value.join(', ') || 'none'}`);
    });
    c.on('disconnected', (ev) => add('session', `disconnected: ${ev.code} ${ev.reason}`));
    c.on('error', (err: WSEError) => {
      add('error', `${err.code}: ${err.message}`);
      if (err.code === 'FORBIDDEN' && /publish/i.test(err.message)) {
        add('error', 'client publishing is off on this server: restart it with --publish-policy allow');
      }
    });
    c.on('presence', (ev) => {
      presence.value = { ...presence.value, [ev.topic]: ev.members };
      add('presence', `${ev.action} ${ev.userId ?? ''} on ${ev.topic}`.replace('  ', ' '));
    });
    c.on('recovery_failed', (ev) =>
      add('recovery', `recovery failed on ${ev.topic}; re-baselined at ${ev.epoch}:${ev.offset}`),
    );
    c.on('queue_drop', (ev) => add('queue', `dropped queued ${ev.message.type} (${ev.reason})`));
    c.on('quality', (ev) => add('state', `quality ${ev.previous} → ${ev.level}`));
    c.on('*', onMessage);
  }

  async function disconnect(): Promise<void> {
    const c = client;
    client = null;
    stopStore?.();
    stopStore = null;
    if (c) await c.close();
    snapshot.value = null;
    presence.value = {};
    features.value = [];
  }

  /** Creates a client for the form's user and connects (the old client, if any, is closed). */
  async function connect(): Promise<void> {
    const user = form.user.trim();
    if (!user) return add('error', 'pick a user name first');
    localStorage.setItem(
      FORM_KEY,
      JSON.stringify({ user, format: form.format, encryption: form.encryption }),
    );
    busy.value = true;
    try {
      await disconnect();
      const c = createClient({
        endpoints: wsEndpoint(form.server),
        token: createTokenSource(form.server, user),
        format: form.format,
        encryption: form.encryption,
        // Quick retries: the playground's outages are short and deliberate. (With one endpoint the
        // breaker never waits longer than reconnect.maxMs, so it needs no tuning.)
        reconnect: { baseMs: 300, maxMs: 2000 },
        heartbeat: { pingIntervalMs: 5000 },
        offline: { storage: new IndexedDBQueueStorage({ dbName: `wse-playground:${user}` }) },
        env: { WebSocket: net.WebSocket, environment: net.environment },
      });
      client = c;
      wire(c);
      add(
        'net',
        `connecting to ${wsEndpoint(form.server)} (${form.format}${form.encryption ? ', E2E' : ''})`,
      );
      await c.connect();
    } catch (err) {
      add('error', `connect failed: ${(err as Error).message}`);
    } finally {
      busy.value = false;
    }
  }

  /** Subscribes to a topic and joins its presence with the user name. */
  async function subscribe(topic: string): Promise<void> {
    if (!client || !topic) return;
    try {
      const r = await client.subscribeTopics([topic], { presence: { name: form.user } });
      for (const f of r.failed) add('error', `subscribe ${f.topic}: ${f.code} ${f.message}`);
      if (r.topics.length > 0) presence.value = { ...presence.value, [topic]: client.presence(topic) };
    } catch (err) {
      add('error', `subscribe ${topic}: ${(err as Error).message}`);
    }
  }

  /** Unsubscribes from a topic. */
  async function unsubscribe(topic: string): Promise<void> {
    if (!client) return;
    await client.unsubscribe([topic]).catch((err: Error) => add('error', `unsubscribe: ${err.message}`));
    const { [topic]: _gone, ...rest } = presence.value;
    presence.value = rest;
  }

  /** Publishes `{t: 'chat', p: {text, from, topic}}` to a topic; queued while offline. */
  function publish(topic: string, text: string): void {
    if (!client || !topic || !text) return;
    try {
      client.publish(topic, { t: 'chat', p: { text, from: form.user, topic } });
      if (client.getSnapshot().state !== 'connected') add('queue', `queued for ${topic}: ${text}`);
    } catch (err) {
      add('error', `publish: ${(err as Error).message}`);
    }
  }

  /** Kills the socket; reconnects are refused for `outageMs`. */
  function drop(outageMs: number): void {
    add('net', `dropping the connection${outageMs > 0 ? `; network down for ${outageMs / 1000} s` : ''}`);
    net.drop(outageMs);
  }

  /** Flips the simulated network. */
  function setOffline(value: boolean): void {
    offline.value = value;
    add('net', value ? 'network off (sends are queued)' : 'network on');
    net.setOffline(value);
  }

  onScopeDispose(() => {
    void disconnect();
  });

  return {
    form,
    snapshot,
    log,
    lines,
    presence,
    offline,
    features,
    busy,
    connect,
    disconnect,
    subscribe,
    unsubscribe,
    publish,
    drop,
    setOffline,
    clearLog: () => {
      log.value = [];
    },
  };
}

/** The value {@link usePlayground} returns. */
export type Playground = ReturnType<typeof usePlayground>;
