// Authorize while Redis is away: the dialer gets a prompt 503 with a machine-readable code, not
// a request that hangs until Redis returns, and answers resume once it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '../../helpers/tcp-proxy.js';
import { eventually } from '../../helpers/pipeline.js';
import { ApiHarness } from './harness.js';

describe('authorize during a Redis outage', () => {
  const relay = new TcpProxy('127.0.0.1', 6379);
  let h: ApiHarness;
  let cut = false;

  beforeAll(async () => {
    const port = await relay.start();
    // Keys are trusted for a minute, so the outage meets the call-gate read, not the key check.
    h = await ApiHarness.start({ keyCacheMs: 60_000, redisUrl: `redis://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    if (cut) await relay.restore();
    await h.close();
    await relay.stop();
  });

  it('answers 503 service_unavailable within seconds, then recovers', async () => {
    const company = await h.company();
    await h.topUp(company, 5_000_000);
    const dialer = await h.token('dialer', company);
    const call = { companyId: company, channel: 'voice', number: '+447700900123' };
    expect((await h.authorize(call, dialer)).status).toBe(200);

    await relay.cut();
    cut = true;
    const asked = Date.now();
    const answer = await h.authorize(call, dialer);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: { code: 'service_unavailable' } });
    expect(Date.now() - asked).toBeLessThan(5_000);

    await relay.restore();
    cut = false;
    await eventually(async () => {
      expect((await h.authorize(call, dialer)).status).toBe(200);
    }, 20_000);
  });
});
