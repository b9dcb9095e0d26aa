// export and erase as processes. Against the real control plane when it serves the data-rights
// routes; until they are registered in app.ts, against a local fake of their documented shape
// (modules/data-rights/data-rights.schemas.ts), which the test names in its output.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { buildTestApp, onboardTenant, type TestApp } from '../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { platformctl } from './run-cli.ts';

const fakeToken = 'ap_live_fake-owner-key';

/** The data-rights routes as documented, for one tenant: an export ready after three polls. */
function fakeDataRights(tenant: string): Server {
  const id = '7d1e1f5c-7a4a-4c55-9f1e-6d5b7c0e8a11';
  let polls = 0;
  const view = () => {
    const status = polls >= 3 ? 'ready' : polls === 0 ? 'pending' : 'running';
    const percent = Math.min(100, polls * 40);
    return {
      id,
      status,
      stage: 'message',
      progress: { recordsDone: polls * 2, recordsTotal: 6, percent },
      parts: 1,
      bytes: 0,
      error: null,
      createdAt: new Date().toISOString(),
      finishedAt: null,
      downloadUrl: null,
    };
  };
  const send = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${fakeToken}`)
      return send(res, 401, { code: 'unauthenticated', message: 'send `Authorization: Bearer <API key>`' });
    const base = `/v1/tenants/${tenant}`;
    if (req.method === 'POST' && req.url === `${base}/exports`) return send(res, 202, view());
    if (req.method === 'GET' && req.url === `${base}/exports/${id}`) {
      polls++;
      return send(res, 200, view());
    }
    if (req.method === 'GET' && req.url === `${base}/exports/${id}/download`) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      return res.end(
        [
          '{"kind":"export","data":{"messages":1}}',
          '{"kind":"tenant","data":{}}',
          '{"kind":"message","data":{}}',
          '',
        ].join('\n'),
      );
    }
    if (req.method === 'POST' && req.url === `${base}/erasures`) {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk;
      });
      req.on('end', () => {
        const parsed = JSON.parse(body) as Record<string, string>;
        if (Object.keys(parsed).length !== 1)
          return send(res, 400, { code: 'invalid_request', message: 'exactly one' });
        send(res, 200, {
          subject: Object.keys(parsed)[0],
          postgres: { conversations: 1, messages: 4, leads: 1 },
          vectorStore: { configured: false, points: 0 },
          auditSeq: 7,
        });
      });
      return;
    }
    send(res, 404, { code: 'not_found', message: `tenant "${req.url?.split('/')[3]}" was not found` });
  });
}

describe('platformctl export and erase', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let test: TestApp;
  let fake: Server | undefined;
  let env: Record<string, string>;
  let tenant: string;
  const file = join(tmpdir(), `${uniqueName('export')}.ndjson`);

  before(async () => {
    db = await createTestDatabase();
    test = await buildTestApp(db);
    const real = test.app.routeTable.some((r) => r.method === 'POST' && r.url === '/v1/tenants/:t/exports');
    if (real) {
      await test.app.listen({ host: '127.0.0.1', port: 0 });
      const owner = await onboardTenant(test, uniqueName('acme'));
      tenant = owner.name;
      const { port } = test.app.server.address() as { port: number };
      env = { AGENTPLANE_API_URL: `http://127.0.0.1:${port}`, AGENTPLANE_TOKEN: owner.key };
    } else {
      console.log(
        '# the data-rights routes are not registered yet: export and erase run against a local fake',
      );
      tenant = uniqueName('acme');
      fake = fakeDataRights(tenant);
      await new Promise<void>((resolve) => fake?.listen(0, '127.0.0.1', resolve));
      const { port } = fake.address() as { port: number };
      env = { AGENTPLANE_API_URL: `http://127.0.0.1:${port}`, AGENTPLANE_TOKEN: fakeToken };
    }
  });
  after(async () => {
    rmSync(file, { force: true });
    await new Promise((resolve) => (fake ? fake.close(resolve) : resolve(undefined)));
    await test?.app.close();
    await db?.drop();
  });

  it('starts an export, follows its progress and writes the NDJSON archive to the file', async () => {
    const run = await platformctl(['export', '--tenant', tenant, '--file', file], env);
    assert.equal(run.code, 0, run.stderr);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(JSON.parse(lines[0] ?? '{}').kind, 'export', 'the archive starts with its summary line');
    assert.ok(
      lines.every((line) => JSON.parse(line).kind),
      'every line is a record',
    );
    assert.match(
      run.stdout,
      new RegExp(`export .* of ${tenant}: ${lines.length} records, \\d+ bytes written to ${file}`),
    );
    if (fake)
      assert.match(run.stderr, /export .*: running · message · 2\/6 records, 40%/, 'progress on stderr');

    const json = await platformctl(['export', '--tenant', tenant, '--file', file, '-o', 'json'], env);
    assert.equal(json.code, 0, json.stderr);
    const data = JSON.parse(json.stdout);
    assert.equal(data.file, file);
    assert.equal(
      data.lines,
      readFileSync(file, 'utf8').trim().split('\n').length,
      'the count is of what was written',
    );
    assert.ok(data.bytes > 0);
  });

  it('erases one end user and prints what was removed where', async () => {
    const run = await platformctl(['erase', '--tenant', tenant, '--email', 'jane@example.com'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^erased email jane@example.com from tenant/);
    assert.match(run.stdout, /postgres\.messages: \d+/);
    const json = JSON.parse(
      (await platformctl(['erase', '--tenant', tenant, '--phone', '+1 555 0100', '-o', 'json'], env)).stdout,
    );
    assert.equal(json.subject, 'phone');
  });

  it('exits 4 when the token may not export, and 3 for another tenant', async () => {
    const denied = await platformctl(['export', '--tenant', tenant], {
      ...env,
      AGENTPLANE_TOKEN: 'ap_live_wrong',
    });
    assert.equal(denied.code, 4, denied.stderr);
    const missing = await platformctl(['erase', '--tenant', 'someone-else', '--email', 'a@b.example'], env);
    assert.equal(missing.code, 3, missing.stderr);
  });
});
