// platformctl as a process against a real control plane (in-process, on the test bed's PostgreSQL,
// listening on 127.0.0.1): human and JSON/YAML output, and the exit code of each failure class.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { uniqueName, withoutTestbed } from '@agentplane/shared/testing';
import { parse as parseYaml } from 'yaml';
import { installCrds } from '../../../e2e/helpers/crds.ts';
import { buildTestApp, onboardTenant, type TestApp } from '../testing/app.ts';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { commandGroups, commands } from './commands/index.ts';
import { platformctl } from './run-cli.ts';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('platformctl without a server', () => {
  it('answers --help (and -h) for every command, group and the root, exit 0', async () => {
    const paths = [[], ...Object.keys(commandGroups).map((g) => [g]), ...commands.map((c) => [...c.path])];
    for (const path of paths) {
      const run = await platformctl([...path, path.length % 2 ? '--help' : '-h']);
      assert.equal(run.code, 0, `${path.join(' ')} --help: ${run.stderr}`);
      assert.match(run.stdout, /Usage:\n {2}platformctl/, path.join(' '));
      if (path.length) assert.ok(run.stdout.includes(`platformctl ${path.join(' ')}`), path.join(' '));
    }
    const root = await platformctl(['--help']);
    assert.match(root.stdout, /Exit codes:[\s\S]*5 {3}timed out waiting/, 'the exit codes are documented');
  });

  it('prints its version, also when started by an older Node (the launcher re-runs it with Node 24)', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    assert.deepEqual(await platformctl(['--version']), {
      code: 0,
      stdout: `platformctl ${version}\n`,
      stderr: '',
    });
    const old = await platformctl(['--version'], {}, { node: '/usr/bin/node' });
    assert.equal(old.stdout, `platformctl ${version}\n`, old.stderr);
  });

  it('exits 2 naming what is wrong, with the usage, for usage errors', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['tenants', 'get', 'acme', '--tire', 'pro'],
        /Unknown option '--tire'[\s\S]*usage: platformctl tenants get <name>/,
      ],
      [['tenantz'], /unknown command "tenantz"/],
      [['tenants', 'frob'], /unknown command "tenants frob"[\s\S]*create, list, get, delete/],
      [['tenants'], /"tenants" needs a command/],
      [['tenants', 'get'], /missing argument <name>[\s\S]*usage: platformctl tenants get <name>/],
      [['tenants', 'get', 'a', 'b'], /unexpected argument "b"/],
      [['tenants', 'create', 'acme'], /missing --tier/],
      [['agents', 'list'], /missing --tenant/],
      [['status', 'acme', '-o', 'xml'], /-o must be one of table, json, yaml, got "xml"/],
      [['erase', '--tenant', 'acme'], /exactly one of --email, --phone or --external-id/],
      [['tenants', 'delete', 'acme'], /without --yes/],
      [['deploy', '--tenant', 'acme'], /deploy needs -f <manifest>, or --tenant <t> with --tier/],
      [[], /missing command/],
    ];
    for (const [args, message] of cases) {
      const run = await platformctl(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.equal(run.stdout, '', 'nothing on stdout for scripts to mistake for a result');
    }
  });

  it('exits 6 with the URL and how to fix it when the API is down', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await platformctl(['tenants', 'get', 'acme'], {
      AGENTPLANE_API_URL: url,
      AGENTPLANE_TOKEN: 'x',
    });
    assert.equal(run.code, 6, run.stderr);
    assert.match(run.stderr, new RegExp(`cannot reach the control-plane API at ${url} \\(ECONNREFUSED\\)`));
    assert.match(run.stderr, /--api-url \/ AGENTPLANE_API_URL/);
  });

  it('exits 6 naming the API server when the kubeconfig points at nothing', async () => {
    const port = await closedPort();
    const kubeconfig = `${process.env.TMPDIR ?? '/tmp'}/${uniqueName('kc')}.yaml`;
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]\n` +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: gone, context: {cluster: c, user: u}}]\ncurrent-context: gone\n',
    );
    try {
      const run = await platformctl(['tenants', 'list', '--kubeconfig', kubeconfig]);
      assert.equal(run.code, 6, run.stderr);
      assert.match(run.stderr, new RegExp(`cannot reach the Kubernetes API at https://127.0.0.1:${port}`));
      assert.match(run.stderr, /context gone/);
    } finally {
      rmSync(kubeconfig, { force: true });
    }
  });
});

describe('platformctl against the control plane', { skip: withoutTestbed() }, () => {
  let db: TestDatabase;
  let test: TestApp;
  let env: Record<string, string>;
  const acme = uniqueName('acme');

  before(async () => {
    // The listing reads the cluster's AgentInstances: their kind must exist (a fresh bed has none).
    await installCrds();
    db = await createTestDatabase();
    test = await buildTestApp(db);
    await test.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = test.app.server.address() as { port: number };
    env = { AGENTPLANE_API_URL: `http://127.0.0.1:${port}`, AGENTPLANE_TOKEN: test.platformAdminToken };
  });
  after(async () => {
    await test?.app.close();
    await db?.drop();
  });

  it('creates a tenant (human output) and reads it back as JSON and YAML', async () => {
    const created = await platformctl(
      ['tenants', 'create', acme, '--tier', 'pro', '--display-name', 'ACME Corp', '--region', 'eu'],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`^tenant ${acme} created\\n`));
    assert.match(created.stdout, /Display name: +ACME Corp\n/);
    assert.match(created.stdout, /Isolation: +shared\n/, 'the tier default, resolved by the API');

    const json = await platformctl(['tenants', 'get', acme, '-o', 'json'], env);
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout);
    assert.equal(view.id, acme);
    assert.equal(view.tier, 'pro');
    assert.equal(view.region, 'eu');

    const yaml = await platformctl(['tenants', 'get', acme, '--output', 'yaml'], env);
    assert.deepEqual(parseYaml(yaml.stdout), view);

    const again = await platformctl(['tenants', 'create', acme, '--tier', 'pro'], env);
    assert.equal(again.code, 1, 'a conflict is a plain failure');
    assert.match(again.stderr, /conflict: tenant ".*" already exists/);
  });

  it('exits 3 for a tenant that does not exist, showing the API code and message', async () => {
    const run = await platformctl(['tenants', 'get', 'no-such-tenant'], env);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /not_found: tenant "no-such-tenant" was not found/);
    const status = await platformctl(['status', 'no-such-tenant'], {
      ...env,
      KUBECONFIG: process.env.KUBECONFIG,
    });
    assert.equal(status.code, 3, status.stderr);
  });

  it('exits 4 for a bad or missing token, and for a role that may not act', async () => {
    const bad = await platformctl(['tenants', 'get', acme], { ...env, AGENTPLANE_TOKEN: 'ap_live_nope' });
    assert.equal(bad.code, 4, bad.stderr);
    assert.match(bad.stderr, /unauthenticated/);
    assert.match(bad.stderr, /the token was refused/);
    const none = await platformctl(['tenants', 'get', acme], { AGENTPLANE_API_URL: env.AGENTPLANE_API_URL });
    assert.equal(none.code, 4);
    assert.match(none.stderr, /pass --token or set AGENTPLANE_TOKEN/);

    const member = await test.app.inject({
      method: 'POST',
      url: `/v1/tenants/${acme}/api-keys`,
      headers: test.admin,
      payload: { name: 'reader', role: 'member' },
    });
    const memberKey = (member.json() as { key: string }).key;
    const denied = await platformctl(
      ['agents', 'deploy', 'support', '--tenant', acme, '--agent', 'customer-service', '--version', '2.1.0'],
      { ...env, AGENTPLANE_TOKEN: memberKey },
    );
    assert.equal(denied.code, 4, denied.stderr);
    assert.match(denied.stderr, /forbidden: agents:deploy needs one of/);
  });

  it("deploys and updates an agent instance with the tenant's own key, and lists it", async () => {
    const tenant = await onboardTenant(test, uniqueName('globex'));
    const keyEnv = { ...env, AGENTPLANE_TOKEN: tenant.key };
    const args = ['agents', 'deploy', 'support', '--tenant', tenant.name];
    const created = await platformctl([...args, '--agent', 'customer-service', '--version', '2.1.0'], keyEnv);
    assert.equal(created.code, 0, created.stderr);
    assert.match(
      created.stdout,
      /agent instance support of .* created \(customer-service 2\.1\.0, 1 replica\(s\)\)/,
    );
    const updated = await platformctl([...args, '--replicas', '3', '--version', '2.2.0'], keyEnv);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /updated \(customer-service 2\.2\.0, 3 replica\(s\)\)/);

    const listed = await platformctl(['agents', 'list', '--tenant', tenant.name], {
      ...keyEnv,
      KUBECONFIG: process.env.KUBECONFIG,
    });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME +AGENT +VERSION +REPLICAS +PHASE/);
    assert.match(
      listed.stdout,
      /support +customer-service +2\.2\.0 +3 +not on cluster/,
      `the writer was a recorder (stderr: ${listed.stderr})`,
    );
    const json = JSON.parse(
      (await platformctl(['agents', 'list', '--tenant', tenant.name, '-o', 'json'], keyEnv)).stdout,
    );
    assert.deepEqual(
      json.items.map((i: { name: string; replicas: number; status: unknown }) => [
        i.name,
        i.replicas,
        i.status,
      ]),
      [['support', 3, null]],
    );

    const other = await platformctl(['agents', 'list', '--tenant', acme], keyEnv);
    assert.equal(other.code, 3, "another tenant's path answers as if it did not exist");
  });

  it("shows the API's view in status when the cluster has no such Tenant", async () => {
    const run = await platformctl(['status', acme], { ...env, KUBECONFIG: process.env.KUBECONFIG });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Name: +${acme}\\n`));
    const json = JSON.parse((await platformctl(['status', acme, '-o', 'json'], env)).stdout);
    assert.equal(json.api.id, acme);
    assert.deepEqual(json.clusters, [], 'single-cluster API without live status, no kubeconfig');
    assert.equal(json.healthy, false);
  });

  it('answers clusters with the code and message of the API when multi-cluster is off', async () => {
    const run = await platformctl(['clusters'], env);
    assert.equal(run.code, 6, run.stderr);
    assert.match(run.stderr, /dependency_unavailable: multi-cluster placement is off/);
  });
});
