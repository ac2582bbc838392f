import { describe, expect, it } from 'vitest';
import { ManualClock } from '../env/manual-clock';
import { exportPublicKey, generateKeyPair, importSessionKey } from '../protocol/crypto';
import { E2EChannel } from '../protocol/e2e-channel';
import { KeyRotation } from './e2e';

async function rotation(intervalMs: number) {
  const clock = new ManualClock(0);
  const k = await importSessionKey(new Uint8Array(32));
  const channel = new E2EChannel(2, { send: k, recv: k });
  const sent: Array<Record<string, unknown>> = [];
  const fatal: unknown[] = [];
  const r = new KeyRotation(
    clock,
    intervalMs,
    channel,
    'c1',
    undefined,
    (p) => sent.push(p),
    (e) => fatal.push(e),
  );
  return { clock, r, sent, fatal, channel };
}

describe('KeyRotation (client)', () => {
  it('one rotation at a time: a server request while the answer is being applied starts nothing', async () => {
    const { r, sent, fatal, channel } = await rotation(0);
    await r.begin();
    expect(sent).toHaveLength(1);
    const server = await generateKeyPair();
    const completing = r.complete({ encryption_public_key: await exportPublicKey(server.publicKey) });
    await r.begin(); // e2e_rekey_request arriving mid-switch
    await completing;
    expect(sent).toHaveLength(1);
    expect(fatal).toEqual([]);
    expect(r.completed).toBe(1);
    expect(channel.rotations).toBe(1);
    await r.begin(); // after the switch: the next rotation may start
    expect(sent).toHaveLength(2);
  });

  it('an unsolicited e2e_rekeyed is ignored; a bad server key is fatal', async () => {
    const { r, sent, fatal } = await rotation(0);
    await r.complete({ encryption_public_key: 'AAAA' });
    expect(fatal).toEqual([]);
    await r.begin();
    await r.complete({ encryption_public_key: 'AAAA' });
    expect(fatal).toHaveLength(1);
    expect(sent).toHaveLength(1);
  });

  it('after close nothing is sent', async () => {
    const { r, sent } = await rotation(0);
    r.close();
    await r.begin();
    expect(sent).toEqual([]);
  });
});
