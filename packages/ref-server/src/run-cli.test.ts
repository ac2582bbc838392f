import { describe, expect, it, vi } from 'vitest';
import type { WSEServerOptions } from './options';
import { type CliDeps, type CliServer, runCli } from './run-cli';

function fakeServer(over: Partial<CliServer> = {}) {
  let resolveDrain: () => void = () => {};
  const server = {
    port: 43121,
    start: vi.fn(async () => undefined),
    drain: vi.fn(() => new Promise<void>((r) => (resolveDrain = r))),
    stop: vi.fn(async () => undefined),
    ...over,
  };
  return { server, finishDrain: () => resolveDrain() };
}

function harness(server: CliServer) {
  const handlers = new Map<string, () => void>();
  const out: string[] = [];
  const err: string[] = [];
  const exits: number[] = [];
  let created: WSEServerOptions | undefined;
  const deps: CliDeps = {
    createServer: (o) => {
      created = o;
      return server;
    },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    onSignal: (s, h) => handlers.set(s, h),
    exit: (c) => exits.push(c),
    closeGraceMs: 0,
    readFile: () => {
      throw new Error('no files');
    },
  };
  return { deps, handlers, out, err, exits, options: () => created };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('runCli', () => {
  it('starts the server and prints the URL with the real port', async () => {
    const { server } = fakeServer();
    const h = harness(server);
    await runCli(['--dev', '--port', '0'], {}, h.deps);
    expect(h.options()).toMatchObject({ dev: true, port: 0, host: '127.0.0.1' });
    expect(h.out).toEqual(['WSE server listening on http://127.0.0.1:43121 (ws://127.0.0.1:43121/wse)']);
    expect(h.err.join('\n')).toMatch(/notice: dev mode: generated JWT secret/);
    expect(h.exits).toEqual([]);
  });

  it('uses the port start() resolves to and the configured path', async () => {
    const { server } = fakeServer({ start: vi.fn(async () => 5999), port: undefined });
    const h = harness(server);
    await runCli(['--host', '0.0.0.0', '--path', '/rt'], {}, h.deps);
    expect(h.out[0]).toBe('WSE server listening on http://0.0.0.0:5999 (ws://0.0.0.0:5999/rt)');
  });

  it('drains on SIGINT, then stops and exits 0', async () => {
    const { server, finishDrain } = fakeServer();
    const h = harness(server);
    await runCli([], {}, h.deps);
    h.handlers.get('SIGINT')?.();
    expect(server.drain).toHaveBeenCalledWith({ timeoutMs: 10_000 });
    await tick();
    expect(server.stop).not.toHaveBeenCalled();
    expect(h.exits).toEqual([]);
    finishDrain();
    await tick();
    await tick();
    expect(server.stop).toHaveBeenCalledOnce();
    expect(h.exits).toEqual([0]);
  });

  it('SIGTERM drains too; a second signal forces exit 130', async () => {
    const { server } = fakeServer();
    const h = harness(server);
    await runCli([], {}, h.deps);
    h.handlers.get('SIGTERM')?.();
    h.handlers.get('SIGINT')?.();
    expect(server.stop).toHaveBeenCalledOnce();
    expect(h.exits).toEqual([130]);
  });

  it('a signal while starting (clients already accepted) drains once start() is done', async () => {
    let finishStart: () => void = () => {};
    const { server, finishDrain } = fakeServer({
      start: vi.fn(() => new Promise<undefined>((r) => (finishStart = () => r(undefined)))),
    });
    const h = harness(server);
    const running = runCli([], {}, h.deps);
    await tick();
    h.handlers.get('SIGTERM')?.();
    expect(server.drain).not.toHaveBeenCalled();
    finishStart();
    await running;
    expect(server.drain).toHaveBeenCalledOnce();
    finishDrain();
    await tick();
    await tick();
    expect(h.exits).toEqual([0]);
  });

  it('prints help and exits 0 without creating a server', async () => {
    const { server } = fakeServer();
    const h = harness(server);
    await runCli(['--help'], {}, h.deps);
    expect(h.out[0]).toMatch(/^Usage: wse-server/);
    expect(h.exits).toEqual([0]);
    expect(h.options()).toBeUndefined();
  });

  it('exits 2 on a bad option (config or server validation), 1 when start fails', async () => {
    const h1 = harness(fakeServer().server);
    await runCli(['--port', 'x'], {}, h1.deps);
    expect(h1.exits).toEqual([2]);
    expect(h1.err[0]).toMatch(/--port/);

    const h2 = harness(fakeServer().server);
    h2.deps.createServer = () => {
      throw Object.assign(new Error('Invalid option "maxMessageSize"'), { code: 'INVALID_OPTION' });
    };
    await runCli([], {}, h2.deps);
    expect(h2.exits).toEqual([2]);

    const h3 = harness(
      fakeServer({ start: vi.fn(async () => Promise.reject(new Error('EADDRINUSE'))) }).server,
    );
    await runCli([], {}, h3.deps);
    expect(h3.exits).toEqual([1]);
    expect(h3.err[0]).toMatch(/EADDRINUSE/);
  });
});
