// The servers under test and how the load generator speaks to each.
import { BENCH_SECRET } from './common.mjs';

export const TARGETS = {
  uws: { kind: 'uws', proto: 'raw', path: '/', label: 'raw uWS', server: { publishMode: 'queued' } },
  'uws-direct': {
    kind: 'uws',
    proto: 'raw',
    path: '/',
    label: 'raw uWS, unqueued publish',
    server: { publishMode: 'direct' },
  },
  // Raw uWS sending frames as large as ours (our stamped publication is ~245 bytes: the envelope
  // adds c, t, id, ts, v and tp, e, o to the ~100-byte payload): what uWS itself pays for our bytes.
  'uws-245': {
    kind: 'uws',
    proto: 'raw',
    path: '/',
    label: 'raw uWS, 245-byte frames (our size)',
    server: { publishMode: 'queued', frameBytes: 245 },
  },
  ws: { kind: 'ws', proto: 'raw', path: '/', label: 'ws' },
  sio: { kind: 'sio', proto: 'sio', path: '/socket.io/?EIO=4&transport=websocket', label: 'Socket.IO' },
  'sio-uws': {
    kind: 'sio-uws',
    proto: 'sio',
    path: '/socket.io/?EIO=4&transport=websocket',
    label: 'Socket.IO on uWS',
  },
  wse: {
    kind: 'wse',
    proto: 'wse',
    path: '/wse',
    jwt: true,
    label: 'WSE (JWT, no recovery)',
    server: { secret: BENCH_SECRET, recovery: false },
  },
  'wse-rec': {
    kind: 'wse',
    proto: 'wse',
    path: '/wse',
    jwt: true,
    label: 'WSE (JWT, recovery on)',
    server: { secret: BENCH_SECRET, recovery: true },
  },
};

export const PEERS = ['uws', 'ws', 'sio', 'sio-uws'];
export const OURS = ['wse', 'wse-rec'];
