// Who may do what, on the real stack: API keys (missing, unknown, revoked, by header), roles,
// tenant isolation of company keys, validation errors that name the field, the keys command,
// and the open routes (health, OpenAPI docs).
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCommand } from '../../../src/cli/keys-command.js';
import { ApiHarness } from './harness.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, text: () => text };
}

describe('access and validation', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await ApiHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('asks for a valid, unrevoked key on every /v1 route, and leaves health and docs open', async () => {
    const c = await h.company();
    const missing = await h.request('GET', `/v1/companies/${c}`, { token: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ error: { code: 'missing_api_key' } });
    const wrong = await h.request('GET', `/v1/companies/${c}`, { token: 'tgk_not-a-real-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: { code: 'invalid_api_key' } });
    const viaHeader = await h.request('GET', `/v1/companies/${c}`, {
      token: null,
      headers: { 'x-api-key': h.adminToken },
    });
    expect(viaHeader.status).toBe(200);

    const created = await h.request<{ keyId: string; token: string }>('POST', '/v1/api-keys', {
      body: { role: 'company', companyId: c, label: 'billing page' },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^tgk_[A-Za-z0-9_-]{43}$/);
    expect(
      (await h.request('GET', `/v1/companies/${c}`, { token: created.body.token })).status,
    ).toBe(200);
    const listed = await h.request<{ keys: Array<Record<string, unknown>> }>('GET', '/v1/api-keys');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    const stored = await h.db.pool.query('select token_sha256 from api_keys where id = $1', [
      created.body.keyId,
    ]);
    expect(stored.rows[0].token_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await h.request('DELETE', `/v1/api-keys/${created.body.keyId}`)).status).toBe(204);
    const revoked = await h.request('GET', `/v1/companies/${c}`, { token: created.body.token });
    expect(revoked.status).toBe(401);
    expect((await h.request('DELETE', `/v1/api-keys/${created.body.keyId}`)).status).toBe(404);

    for (const url of ['/healthz', '/docs/json']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
    const spec = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/authorize',
        '/v1/companies',
        '/v1/companies/{companyId}',
        '/v1/companies/{companyId}/wallet',
        '/v1/companies/{companyId}/wallet/transactions',
        '/v1/companies/{companyId}/campaigns/{campaignId}',
      ]),
    );
    const unknownRoute = await h.request('GET', '/v1/nothing-here');
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body).toMatchObject({ error: { code: 'route_not_found' } });
  });

  it("never lets a company key read or change another company's data", async () => {
    const mine = await h.company();
    const theirs = await h.company({ spendingCapMicros: 5_000_000 });
    await h.topUp(theirs, 9_000_000);
    await h.request('PUT', `/v1/companies/${theirs}/campaigns/secret`, { body: {} });
    const key = await h.token('company', mine);
    const attempts: Array<[method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, body?: unknown]> =
      [
        ['GET', `/v1/companies/${theirs}`],
        ['PATCH', `/v1/companies/${theirs}`, { spendingCapMicros: null }],
        ['GET', `/v1/companies/${theirs}/wallet`],
        ['GET', `/v1/companies/${theirs}/campaigns`],
        ['PUT', `/v1/companies/${theirs}/campaigns/mine-now`, {}],
        ['POST', `/v1/companies/${theirs}/campaigns/secret/pause`],
        ['POST', '/v1/authorize', { companyId: theirs, channel: 'voice', number: '+447700900123' }],
      ];
    for (const [method, url, body] of attempts) {
      const res = await h.request(method, url, {
        token: key,
        ...(body === undefined ? {} : { body }),
      });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.body).toEqual({
        error: { code: 'company_not_found', message: `no company "${theirs}"` },
      });
    }
    // Nothing changed for them.
    const after = await h.request('GET', `/v1/companies/${theirs}/campaigns`);
    expect(after.body).toMatchObject({ campaigns: [{ id: 'secret', paused: false }] });
    expect((await h.request('GET', `/v1/companies/${theirs}`)).body).toMatchObject({
      spendingCapMicros: 5_000_000,
    });

    // Admin-only routes and fields.
    const forbidden: Array<[method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown]> = [
      ['POST', '/v1/companies', { id: 'x', name: 'x' }],
      ['POST', `/v1/companies/${mine}/pause`],
      ['GET', '/v1/api-keys'],
      ['POST', '/v1/api-keys', { role: 'admin' }],
    ];
    for (const [method, url, body] of forbidden) {
      const res = await h.request(method, url, {
        token: key,
        ...(body === undefined ? {} : { body }),
      });
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(res.body).toMatchObject({ error: { code: 'forbidden_role' } });
    }
    const mode = await h.request('PATCH', `/v1/companies/${mine}`, {
      token: key,
      body: { billingMode: 'monthly_invoice' },
    });
    expect(mode.status).toBe(403);
    expect(mode.body).toMatchObject({ error: { code: 'forbidden_field', field: 'billingMode' } });
    const own = await h.request('PATCH', `/v1/companies/${mine}`, {
      token: key,
      body: { lowBalanceThresholdMicros: 2_000_000, capWarningPercents: [75, 90] },
    });
    expect(own.body).toMatchObject({
      lowBalanceThresholdMicros: 2_000_000,
      capWarningPercents: [75, 90],
    });
  });

  it('answers bad input with 4xx, a code and the field', async () => {
    const c = await h.company();
    const cases: Array<[string, 'POST' | 'PATCH', string, unknown, number, string, string?]> = [
      [
        'bad time zone',
        'POST',
        '/v1/companies',
        { id: 'tz-co', name: 'n', timeZone: 'Mars/Olympus' },
        400,
        'invalid_field',
        'timeZone',
      ],
      [
        'offset as zone',
        'PATCH',
        `/v1/companies/${c}`,
        { timeZone: '+03:00' },
        400,
        'invalid_field',
        'timeZone',
      ],
      [
        'bad id',
        'POST',
        '/v1/companies',
        { id: 'no spaces', name: 'n' },
        400,
        'invalid_field',
        'id',
      ],
      ['no name', 'POST', '/v1/companies', { id: 'named' }, 400, 'missing_field', 'name'],
      [
        'bad e-mail',
        'PATCH',
        `/v1/companies/${c}`,
        { notificationRecipients: ['ok@example.com', 'nope'] },
        400,
        'invalid_field',
        'notificationRecipients.1',
      ],
      [
        'negative cap',
        'PATCH',
        `/v1/companies/${c}`,
        { spendingCapMicros: -1 },
        400,
        'invalid_field',
        'spendingCapMicros',
      ],
      [
        'fractional cap',
        'PATCH',
        `/v1/companies/${c}`,
        { spendingCapMicros: 10.5 },
        400,
        'invalid_field',
        'spendingCapMicros',
      ],
      [
        'cap as text',
        'PATCH',
        `/v1/companies/${c}`,
        { spendingCapMicros: '100' },
        400,
        'invalid_field',
        'spendingCapMicros',
      ],
      [
        'warning 100 %',
        'PATCH',
        `/v1/companies/${c}`,
        { capWarningPercents: [100] },
        400,
        'invalid_field',
        'capWarningPercents.0',
      ],
      [
        'unknown mode',
        'PATCH',
        `/v1/companies/${c}`,
        { billingMode: 'barter' },
        400,
        'invalid_field',
        'billingMode',
      ],
      [
        'unknown plan',
        'PATCH',
        `/v1/companies/${c}`,
        { ratePlan: 'gold' },
        400,
        'unknown_rate_plan',
        'ratePlan',
      ],
      ['unknown setting', 'PATCH', `/v1/companies/${c}`, { colour: 'red' }, 400, 'invalid_field'],
      ['nothing to change', 'PATCH', `/v1/companies/${c}`, {}, 400, 'invalid_field'],
      ['taken id', 'POST', '/v1/companies', { id: c, name: 'again' }, 409, 'company_exists', 'id'],
      [
        'company key without company',
        'POST',
        '/v1/api-keys',
        { role: 'company' },
        400,
        'invalid_field',
        'companyId',
      ],
      [
        'key for unknown company',
        'POST',
        '/v1/api-keys',
        { role: 'dialer', companyId: 'ghost' },
        404,
        'company_not_found',
        'companyId',
      ],
    ];
    for (const [name, method, url, body, status, code, field] of cases) {
      const res = await h.request(method, url, { body });
      expect(res.status, name).toBe(status);
      expect(res.body, name).toMatchObject({
        error: { code, ...(field === undefined ? {} : { field }) },
      });
      expect(typeof (res.body as { error: { message: string } }).error.message, name).toBe(
        'string',
      );
    }
    const query = await h.request('GET', `/v1/companies/${c}/wallet?amountMicros=ten`);
    expect(query.status).toBe(400);
    expect(query.body).toMatchObject({ error: { code: 'invalid_field', field: 'amountMicros' } });
    const notJson = await h.app.inject({
      method: 'POST',
      url: '/v1/authorize',
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
      payload: '{"companyId": ',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ error: { code: 'invalid_json' } });
    // Nothing above changed the company.
    expect((await h.request('GET', `/v1/companies/${c}`)).body).toMatchObject({
      timeZone: 'UTC',
      spendingCapMicros: null,
      billingMode: 'refillable_wallet',
      capWarningPercents: [80],
    });
  });

  it('creates keys from the command line, showing the token once', async () => {
    const c = await h.company();
    const out = capture();
    const err = capture();
    const io = { stdout: out.stream, stderr: err.stream };
    expect(
      await runKeysCommand(
        ['create', '--role', 'company', '--company', c, '--label', 'ops'],
        h.settings,
        io,
      ),
    ).toBe(0);
    const token = /token \(shown once, store it now\): (tgk_\S+)/.exec(out.text())?.[1];
    expect(token).toBeDefined();
    expect((await h.request('GET', `/v1/companies/${c}/wallet`, { token: token! })).status).toBe(
      200,
    );
    expect(await runKeysCommand(['list'], h.settings, io)).toBe(0);
    expect(out.text().split(token!)).toHaveLength(2); // printed at creation only
    expect(await runKeysCommand(['create', '--role', 'company'], h.settings, io)).toBe(2);
    expect(
      await runKeysCommand(['create', '--role', 'dialer', '--company', 'ghost'], h.settings, io),
    ).toBe(1);
    expect(err.text()).toContain('company ghost does not exist');
    const keyId = /created company key (key_[0-9a-f]+)/.exec(out.text())?.[1];
    expect(await runKeysCommand(['revoke', keyId!], h.settings, io)).toBe(0);
    expect((await h.request('GET', `/v1/companies/${c}/wallet`, { token: token! })).status).toBe(
      401,
    );
  });
});

describe('access with cached keys', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await ApiHarness.start({ keyCacheMs: 60_000 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('drops a key revoked through this server at once, though keys are trusted for a minute', async () => {
    const c = await h.company();
    await h.topUp(c, 10_000_000);
    const dialer = await h.token('dialer', c);
    const call = { companyId: c, number: '+447700900123', channel: 'voice' };
    expect((await h.authorize(call, dialer)).status).toBe(200);
    expect((await h.authorize(call, dialer)).status).toBe(200);
    const keyId = (await h.keys.list()).find(
      (k) => k.role === 'dialer' && k.companyId === c,
    )?.keyId;
    expect((await h.request('DELETE', `/v1/api-keys/${keyId ?? ''}`)).status).toBe(204);
    const refused = await h.authorize(call, dialer);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { code: 'invalid_api_key' } });
  });

  it('keeps a cached dialer key to authorize and to its own company', async () => {
    const c = await h.company();
    const other = await h.company();
    const dialer = await h.token('dialer', c);
    const call = { companyId: c, number: '+447700900123', channel: 'voice' };
    expect((await h.authorize(call, dialer)).status).toBe(200);
    const elsewhere = await h.authorize({ ...call, companyId: other }, dialer);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body).toMatchObject({ error: { code: 'company_not_found' } });
    const read = await h.request('GET', `/v1/companies/${c}`, { token: dialer });
    expect(read.status).toBe(403);
    expect(read.body).toMatchObject({ error: { code: 'forbidden_role' } });
  });
});
