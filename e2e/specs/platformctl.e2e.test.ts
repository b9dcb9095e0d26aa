// platformctl against the whole platform on the test bed: `deploy` applies a Tenant with an agent
// and follows the operator's conditions to Ready step by step; `status` reads them back with what to
// do; a tenant waiting for a Vault key times out with exit 5 and the advice; `tenants delete --wait`
// ends with nothing left. The control plane runs in-process, writing to the same cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { platformctl } from '../../control-plane/src/cli/run-cli.ts';
import { createKubeResourceWriter } from '../../control-plane/src/kube/resource-writer.ts';
import { buildTestApp, type TestApp } from '../../control-plane/src/testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../../control-plane/src/testing/database.ts';
import { testbedEnv, uniqueName } from '../helpers/env.ts';
import { kubectl } from '../helpers/kubectl.ts';
import { operatorSuite } from '../helpers/operator.ts';

const tenantDoc = (name: string, spec: Record<string, unknown>) =>
  stringify({ apiVersion: 'agentplane.io/v1alpha1', kind: 'Tenant', metadata: { name }, spec });
const agentDoc = (name: string, spec: Record<string, unknown>) =>
  stringify({ apiVersion: 'agentplane.io/v1alpha1', kind: 'AgentInstance', metadata: { name }, spec });

describe('platformctl on the platform', () => {
  operatorSuite();
  const acme = uniqueName('acme');
  const waiting = uniqueName('vaultless');
  const refused = uniqueName('refused');
  const dir = mkdtempSync(join(tmpdir(), 'platformctl-'));
  let db: TestDatabase;
  let test: TestApp;
  let env: Record<string, string>;

  before(async () => {
    db = await createTestDatabase();
    test = await buildTestApp(db, { writer: createKubeResourceWriter(testbedEnv('KUBECONFIG')) });
    await test.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = test.app.server.address() as { port: number };
    env = {
      AGENTPLANE_API_URL: `http://127.0.0.1:${port}`,
      AGENTPLANE_TOKEN: test.platformAdminToken,
      KUBECONFIG: testbedEnv('KUBECONFIG'),
    };
  });
  after(async () => {
    await kubectl(['delete', 'tenant', acme, waiting, refused, '--ignore-not-found', '--wait=false']);
    await test?.app.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploys a tenant with an agent, printing each step with its duration, and records it in the API', async () => {
    const manifest = join(dir, 'acme.yaml');
    writeFileSync(
      manifest,
      [
        tenantDoc(acme, { tier: 'pro', displayName: 'ACME Corp', messaging: { partitions: 2 } }),
        agentDoc('support', { agent: 'customer-service', version: '2.1.0' }),
      ].join('---\n'),
    );
    const started = Date.now();
    const run = await platformctl(['deploy', '-f', manifest, '--timeout', '90s'], env);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    console.log(
      `# deploy of a pro tenant with one agent to Ready: ${Date.now() - started} ms\n${run.stdout}`,
    );
    assert.match(run.stdout, new RegExp(`^tenant ${acme} is Ready on \\S+ \\(\\d+\\.\\ds\\)\\n`));
    assert.match(run.stdout, /STEP +STATE +TOOK +CONDITIONS +DETAIL\n/);
    assert.match(
      run.stdout,
      /infra +done +\d+\.\ds +NamespaceReady, QuotaApplied, NetworkIsolated +home namespace agentplane-pool-pro/,
    );
    assert.match(run.stdout, /secrets +done +\d+\.\ds +SecretsReady/);
    assert.match(run.stdout, /topics +done +\d+\.\ds +MessagingReady/);
    assert.match(run.stdout, /agents +done +\d+\.\ds +Ready \(each AgentInstance\) +support 1\/1/);
    assert.match(run.stderr, /recorded in the control plane/);
    assert.match(run.stderr, /✓ infra +done/, 'progress lines in a log');

    const known = await test.app.inject({ url: `/v1/tenants/${acme}`, headers: test.admin });
    assert.equal(known.statusCode, 200, 'the API knows the tenant deploy applied');
    assert.equal(known.json().displayName, 'ACME Corp');
  });

  it('re-deploys idempotently, with -o json for scripts', async () => {
    const run = await platformctl(
      ['deploy', '--tenant', acme, '--tier', 'pro', '-o', 'json', '--timeout', '60s'],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.ready, true);
    assert.equal(result.registered, 'known to the control plane');
    assert.deepEqual(
      result.steps.map((s: { name: string; state: string }) => [s.name, s.state]),
      [
        ['infra', 'done'],
        ['secrets', 'done'],
        ['topics', 'done'],
        ['agents', 'done'],
      ],
    );
    assert.ok(result.steps.every((s: { durationMs: number }) => typeof s.durationMs === 'number'));
  });

  it("shows the tenant's and its agent's conditions, with nothing to do", async () => {
    const run = await platformctl(['status', acme], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Cluster \S+ \(kubeconfig; generation \d+, observed \d+\)/);
    assert.match(run.stdout, /CONDITION +STATUS +REASON +AGE +MESSAGE/);
    assert.match(run.stdout, /MessagingReady +True/);
    assert.match(
      run.stdout,
      /Agents\n +NAME +NAMESPACE +PHASE +READY[\s\S]*support +agentplane-pool-pro +Ready +1\/1/,
    );
    assert.match(run.stdout, /What to do\n +nothing: every condition is as it should be/);
    const json = JSON.parse((await platformctl(['status', acme, '-o', 'json'], env)).stdout);
    assert.equal(json.healthy, true);
    assert.equal(json.api.id, acme);
    assert.deepEqual(json.problems, []);
  });

  it('times out with exit 5 on a tenant waiting for a Vault key, and says what to do', async () => {
    const manifest = join(dir, 'waiting.yaml');
    writeFileSync(
      manifest,
      tenantDoc(waiting, { tier: 'basic', secrets: { required: [{ path: 'llm', key: 'apiKey' }] } }),
    );
    const run = await platformctl(['deploy', '-f', manifest, '--timeout', '8s'], env);
    assert.equal(run.code, 5, `${run.stdout}\n${run.stderr}`);
    assert.match(
      run.stderr,
      new RegExp(
        `tenant ${waiting} not Ready after 8\\.0s: Tenant ${waiting} SecretsReady=False \\(SecretMissing\\)`,
      ),
    );
    assert.match(run.stderr, /vault kv patch/);
    assert.match(run.stdout, /infra +done[\s\S]*secrets +pending/);

    const status = await platformctl(['status', waiting, '-o', 'json'], env);
    assert.equal(status.code, 0, status.stderr);
    const problems = JSON.parse(status.stdout).problems as Array<{
      type: string;
      reason: string;
      advice: string;
    }>;
    const missing = problems.find((p) => p.type === 'SecretsReady');
    assert.equal(missing?.reason, 'SecretMissing');
    assert.match(missing?.advice ?? '', /vault kv patch/);
    const human = await platformctl(['status', waiting], env);
    assert.match(
      human.stdout,
      /✗ Tenant .* SecretsReady=False \(SecretMissing\)[\s\S]*→ write the key named in the message/,
    );
  });

  it('stops at once with exit 1 when an agent cannot run as written', async () => {
    const manifest = join(dir, 'refused.yaml');
    writeFileSync(
      manifest,
      [
        tenantDoc(refused, { tier: 'basic' }),
        agentDoc('campaigns', { agent: 'sales', version: '2.1.0' }),
      ].join('---\n'),
    );
    const run = await platformctl(['deploy', '-f', manifest, '--timeout', '60s'], env);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(
      run.stderr,
      /cannot become Ready as written: AgentInstance \S+\/campaigns TenantValid=False \(AgentNotAllowed\)/,
    );
    assert.match(run.stderr, /choose another agent or a higher tier/);
  });

  it('lists tenants and deletes one, waiting until the operator has cleaned up', async () => {
    const list = await platformctl(['tenants', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${acme} +pro +shared +Ready +True +agentplane-pool-pro +1`));
    const run = await platformctl(['tenants', 'delete', acme, '--yes', '--wait', '--timeout', '90s'], env);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(`tenant ${acme} deleted`));
    assert.equal((await kubectl(['get', 'tenant', acme])).code, 1, 'gone from the cluster');
    const again = await platformctl(['tenants', 'delete', acme, '--yes'], env);
    assert.equal(again.code, 3);
  });
});
