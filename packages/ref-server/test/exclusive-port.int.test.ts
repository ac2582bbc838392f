import { describe, expect, it } from 'vitest';
import { freePort } from './cluster/cluster-support';
import { startServer } from './helpers';

describe('port binding', () => {
  it('a second plain server on a used port fails with a message naming the port', async () => {
    const { server, port } = await startServer();
    try {
      await expect(startServer({ port })).rejects.toThrow(`127.0.0.1:${port}`);
    } finally {
      await server.stop();
    }
  });

  it('servers that opt into reusePort (--workers) share the port', async () => {
    // Port 0 is never shared (the kernel picks a fresh port), so --workers picks a free port first.
    const first = await startServer({ reusePort: true, port: await freePort() });
    const second = await startServer({ reusePort: true, port: first.port });
    expect(second.port).toBe(first.port);
    await Promise.all([first.server.stop(), second.server.stop()]);
  });
});
