// The Helm chart as an SRE meets it: rendered with default and enterprise values, every object checked
// by the test bed's API server (server-side dry run), bad values refused with the schema's message, and
// a real `helm install` into a fresh namespace (kwok runs the pods), which must leave the CRDs other
// suites applied alone, keep AgentInstances in their tenant's namespace, and uninstall cleanly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { controlPlaneSettings, loadControlPlaneConfig } from '../../control-plane/src/config.ts';
import { loadOperatorConfig, operatorSettings } from '../../operator/src/config.ts';
import { installCrds } from '../helpers/crds.ts';
import { uniqueName } from '../helpers/env.ts';
import { eventually } from '../helpers/eventually.ts';
import { chartDir, helm, helmOk, type RenderedObject, renderChart } from '../helpers/helm.ts';
import { kubectl, kubectlOk } from '../helpers/kubectl.ts';
import { ensureHelm } from '../testbed/build.ts';

const release = uniqueName('chart');
const namespace = release;
// A dedicated tenant's namespace, for the admission policy's checks.
const tenant = uniqueName('charttenant');
const tenantNamespace = `tenant-${tenant}`;
const testLabel = 'agentplane.io/chart-test';
const fullname = `${release}-agentplane`;
const scratch = mkdtempSync(join(tmpdir(), 'agentplane-chart-'));

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown };
}
interface Container {
  name: string;
  command?: string[];
  env?: EnvVar[];
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  containers: Container[];
  volumes?: Array<{ name: string; secret?: { secretName: string } }>;
}

const find = (objects: RenderedObject[], kind: string, name: string): RenderedObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(
    found,
    `the chart renders ${kind} ${name}; it rendered ${objects.map(describeObject).join(', ')}`,
  );
  return found;
};
const describeObject = (o: RenderedObject) => `${o.kind}/${o.metadata.name}`;
const podSpec = (o: RenderedObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const container = (o: RenderedObject): Container => {
  const [first] = podSpec(o).containers;
  assert.ok(first, `${describeObject(o)} has a container`);
  return first;
};
const clusterScoped = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

// Stand-ins for what the pod would read from Secrets, so the parts' own config loaders can judge
// every other value the chart sets.
const secretStandIns: Record<string, string> = {
  DATABASE_URL: 'postgres://agentplane_api@db.example:5432/agentplane',
  MIGRATION_DATABASE_URL: 'postgres://owner@db.example:5432/agentplane',
  PLATFORM_ADMIN_TOKEN: 'x'.repeat(40),
  VAULT_TOKEN: 'hvs.stand-in',
};

/** The environment a container would see; Secret values are stand-ins, field refs a pod name. */
function environment(c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of c.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.secretKeyRef) {
      const standIn = secretStandIns[variable.name];
      assert.ok(standIn, `${c.name}: no stand-in for ${variable.name} from a Secret`);
      env[variable.name] = standIn;
    } else env[variable.name] = `${release}-pod-0`;
  }
  return env;
}

/** Secrets by reference only: nothing that looks like a credential is a literal value. */
function assertNoInlineSecrets(objects: RenderedObject[]): void {
  assert.deepEqual(
    objects.filter((o) => o.kind === 'Secret').map(describeObject),
    [],
    'the chart creates no Secret',
  );
  for (const o of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job')) {
    for (const c of podSpec(o).containers) {
      for (const variable of c.env ?? []) {
        if (/TOKEN$|PASSWORD|DATABASE_URL|API_KEY/.test(variable.name)) {
          assert.ok(
            variable.valueFrom?.secretKeyRef,
            `${describeObject(o)}: ${variable.name} comes from a Secret`,
          );
        }
      }
    }
  }
}

/** Every rendered object, checked by the API server (schema, strict fields, admission) without writing. */
async function assertServerAccepts(yaml: string): Promise<void> {
  const result = await kubectl(
    ['apply', '--server-side', '--dry-run=server', '--field-manager=agentplane-chart-test', '-f', '-'],
    { stdin: yaml },
  );
  assert.equal(result.code, 0, `the API server refused a rendered object:\n${result.stderr}`);
}

function writeValues(name: string, values: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, stringify(values));
  return path;
}

describe('the agentplane Helm chart', () => {
  before(async () => {
    // First run: builds helm from the Go module proxy (a few minutes, with progress), then cached.
    await ensureHelm((line) => console.error(line));
    await installCrds();
    await kubectlOk(['create', 'namespace', namespace]);
  });

  after(async () => {
    await helm(['uninstall', release, '--namespace', namespace, '--ignore-not-found', '--wait']);
    await kubectl(['delete', 'namespace', namespace, tenantNamespace, '--ignore-not-found', '--wait=false']);
  });

  it('renders with default values; the API server accepts every object; the parts accept their settings', async () => {
    // --include-crds: the chart's copies of the CRDs go through the dry run too.
    const { yaml, objects: all } = await renderChart(release, namespace, ['--include-crds']);
    await assertServerAccepts(yaml);
    const crds = all.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name);
    assert.deepEqual(crds.sort(), ['agentinstances.agentplane.io', 'tenants.agentplane.io']);
    const objects = all.filter((o) => o.kind !== 'CustomResourceDefinition');
    assertNoInlineSecrets(objects);

    const operator = find(objects, 'Deployment', `${fullname}-operator`);
    const op = container(operator);
    const opEnv = environment(op);
    const known = new Set(Object.values(operatorSettings).map((s) => s.env));
    for (const name of Object.keys(opEnv)) assert.ok(known.has(name), `the operator reads ${name}`);
    const opConfig = loadOperatorConfig(opEnv);
    assert.equal(opConfig.httpAddress, '0.0.0.0:8080');
    assert.equal(opConfig.namespace, namespace, 'the leader-election Lease lives in the release namespace');
    assert.equal(opConfig.serviceAccount, `${fullname}-operator`);
    assert.equal(opConfig.runtimeImage, 'ghcr.io/agentplane/runtime:0.1.0');
    assert.equal(opConfig.vaultAddr, undefined, 'no Vault unless vault.address is set');
    assert.deepEqual(op.ports, [{ name: 'http', containerPort: 8080 }]);
    assert.deepEqual(op.livenessProbe?.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(op.readinessProbe?.httpGet, { path: '/readyz', port: 'http' });
    const metrics = find(objects, 'Service', `${fullname}-operator-metrics`);
    assert.equal((metrics.spec as { ports: Array<{ targetPort: string }> }).ports[0]?.targetPort, 'http');

    const controlPlane = find(objects, 'Deployment', `${fullname}-control-plane`);
    const cpEnv = environment(container(controlPlane));
    const knownCp = new Set(Object.values(controlPlaneSettings).map((s) => s.env));
    for (const name of Object.keys(cpEnv)) assert.ok(knownCp.has(name), `the control plane reads ${name}`);
    const cpConfig = loadControlPlaneConfig(cpEnv);
    assert.equal(cpConfig.httpAddress, '0.0.0.0:8080');
    assert.equal(cpConfig.migrateOnStart, false, 'the hook Job migrates, not the pods');
    const migrate = find(objects, 'Job', `${fullname}-control-plane-migrate`);
    assert.deepEqual(container(migrate).command, ['node', 'control-plane/src/db/migrate.ts']);
    assert.equal(
      (migrate.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/hook'],
      'pre-install,pre-upgrade',
    );

    assert.ok(!objects.some((o) => o.kind === 'ServiceMonitor'), 'no ServiceMonitor without its CRD');
    assert.ok(!objects.some((o) => o.kind === 'Ingress'), 'no Ingress unless enabled');
    // Cluster-scoped names carry the release, so they never meet e2e/helpers/operator.ts's
    // agentplane-operator or another release's.
    for (const o of objects.filter((o) => clusterScoped.has(o.kind))) {
      assert.ok(o.metadata.name.startsWith(`${release}-`), `${describeObject(o)} is named after the release`);
    }
    for (const o of objects.filter((o) => !clusterScoped.has(o.kind))) {
      assert.equal(o.metadata.namespace, namespace, `${describeObject(o)} is in the release namespace`);
    }
  });

  it('renders with the enterprise example; the API server accepts every object', async () => {
    const { yaml, objects } = await renderChart(release, namespace, [
      '-f',
      join(chartDir, 'values-enterprise.yaml'),
    ]);
    await assertServerAccepts(yaml);
    assertNoInlineSecrets(objects);

    const operator = find(objects, 'Deployment', `${fullname}-operator`);
    assert.equal((operator.spec as { replicas: number }).replicas, 2, 'a standby operator');
    const op = container(operator);
    const opConfig = loadOperatorConfig(environment(op));
    assert.equal(opConfig.vaultAddr, 'https://vault.agentplane-system:8200');
    assert.equal(opConfig.vaultTokenFile, '/var/run/secrets/vault/token');
    assert.deepEqual(opConfig.kafkaBrokers.length, 3);
    assert.equal(opConfig.runtimeImage, 'registry.example.com/agentplane/runtime:0.1.0');
    // The token is a file from the Secret, never an environment variable.
    assert.ok(!op.env?.some((v) => v.name === 'VAULT_TOKEN'));
    assert.deepEqual(
      op.volumeMounts?.find((m) => m.name === 'vault-token'),
      { name: 'vault-token', mountPath: '/var/run/secrets/vault', readOnly: true },
    );
    const tokenVolume = podSpec(operator).volumes?.find((v) => v.name === 'vault-token');
    assert.equal(tokenVolume?.secret?.secretName, 'agentplane-operator-vault');

    const cpEnv = environment(container(find(objects, 'Deployment', `${fullname}-control-plane`)));
    assert.equal(loadControlPlaneConfig(cpEnv).vaultToken, secretStandIns.VAULT_TOKEN);
    const migrateEnv = environment(container(find(objects, 'Job', `${fullname}-control-plane-migrate`)));
    assert.equal(migrateEnv.MIGRATION_DATABASE_URL, secretStandIns.MIGRATION_DATABASE_URL);
    const ingress = find(objects, 'Ingress', `${fullname}-control-plane`);
    assert.deepEqual((ingress.spec as { tls: unknown }).tls, [
      { hosts: ['agentplane.example.com'], secretName: 'agentplane-tls' },
    ]);
  });

  it('renders with the dev values the Tiltfile uses; they and charts/dev-deps pass a server-side dry run', async () => {
    const { yaml, objects } = await renderChart(release, namespace, [
      '-f',
      join(chartDir, 'values-dev.yaml'),
    ]);
    await assertServerAccepts(yaml);
    const op = container(find(objects, 'Deployment', `${fullname}-operator`));
    const opConfig = loadOperatorConfig(environment(op));
    // Tilt matches these references (any tag) and rewrites RUNTIME_IMAGE (match_in_env_vars).
    assert.equal(opConfig.runtimeImage, 'agentplane/runtime:dev');
    assert.equal(opConfig.vaultTokenFile, '/var/run/secrets/vault/token');
    const cpEnv = environment(container(find(objects, 'Deployment', `${fullname}-control-plane`)));
    assert.equal(loadControlPlaneConfig(cpEnv).migrateOnStart, true, 'no Job for Tilt to recreate');
    assert.ok(!objects.some((o) => o.kind === 'Job'));
    const devDeps = ['namespace', 'secrets', 'kafka', 'vault', 'postgres'].map((file) =>
      readFileSync(join(chartDir, '..', 'dev-deps', `${file}.yaml`), 'utf8'),
    );
    await assertServerAccepts(devDeps.join('\n---\n'));
  });

  it('gives the operator exactly the ClusterRole of operator/deploy/rbac.yaml', async () => {
    const { objects } = await renderChart(release, namespace);
    const source = parse(
      readFileSync(new URL('../../operator/deploy/rbac.yaml', import.meta.url), 'utf8'),
    ) as RenderedObject;
    const role = find(objects, 'ClusterRole', `${fullname}-operator`);
    assert.deepEqual(role.rules, source.rules);
    const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding');
    const roleRefs = bindings.map((b) => (b.roleRef as { name: string }).name).sort();
    assert.deepEqual(roleRefs, [
      `${fullname}-control-plane`,
      `${fullname}-operator`,
      'system:auth-delegator',
    ]);
  });

  it('renders a ServiceMonitor only where the Prometheus Operator’s API exists', async () => {
    const { objects } = await renderChart(release, namespace, [
      '--api-versions',
      'monitoring.coreos.com/v1/ServiceMonitor',
    ]);
    const monitor = find(objects, 'ServiceMonitor', `${fullname}-operator`);
    assert.deepEqual((monitor.spec as { endpoints: unknown }).endpoints, [
      { port: 'http-metrics', path: '/metrics', interval: '30s' },
    ]);
  });

  it('refuses bad values with the schema’s message, and missing references with what to create', async () => {
    const bad = writeValues('bad.yaml', {
      operator: { replicas: -1, resync: 'ten minutes' },
      kafka: { brokers: [] },
      controlPlane: { migrations: { mode: 'sometimes' } },
      admissionPolicy: { validationActions: ['Deny', 'Warn'] },
      imagePulSecrets: [],
    });
    const refused = await helm(['template', release, chartDir, '-f', bad]);
    assert.notEqual(refused.code, 0);
    for (const expected of [
      "values don't meet the specifications of the schema",
      "at '/operator/replicas': minimum: got -1, want 0",
      "at '/operator/resync'",
      "at '/kafka/brokers': minItems: got 0, want 1",
      "at '/controlPlane/migrations/mode'",
      "at '/admissionPolicy/validationActions'",
      "additional properties 'imagePulSecrets' not allowed",
    ]) {
      assert.ok(
        refused.stderr.includes(expected),
        `helm says ${JSON.stringify(expected)}:\n${refused.stderr}`,
      );
    }

    const vaultWithoutToken = writeValues('vault.yaml', { vault: { address: 'http://vault:8200' } });
    const missing = await helm(['template', release, chartDir, '-f', vaultWithoutToken]);
    assert.notEqual(missing.code, 0);
    assert.ok(missing.stderr.includes("at '/vault/operatorToken/secretName': minLength"), missing.stderr);
    // Without the schema (--skip-schema-validation) the templates still say what to create.
    const skipped = await helm([
      'template',
      release,
      chartDir,
      '-f',
      vaultWithoutToken,
      '--skip-schema-validation',
    ]);
    assert.notEqual(skipped.code, 0);
    assert.ok(
      skipped.stderr.includes('vault.operatorToken.secretName is required with vault.address'),
      skipped.stderr,
    );
  });

  describe('installed into the test bed', () => {
    let crdManagersBefore: string[] = [];

    before(async () => {
      crdManagersBefore = await crdManagers();
      const values = writeValues('install.yaml', {
        // The policy applies to this test's AgentInstances only: other suites create some in wrong
        // namespaces on purpose, to test the operator's own check.
        admissionPolicy: { objectSelector: { matchLabels: { [testLabel]: release } } },
      });
      // No --wait (kwok fakes the pods); helm still waits for the migration hook Job to complete.
      const notes = await helmOk([
        'install',
        release,
        chartDir,
        '--namespace',
        namespace,
        '-f',
        values,
        '--timeout',
        '3m',
      ]);
      assert.match(notes, /STATUS: deployed/);
      assert.match(notes, /kubectl wait --for=condition=Ready tenant\/acme/);
    });

    it('runs the operator and the control plane (pods faked by kwok)', async () => {
      await kubectlOk([
        'wait',
        '--for=condition=Available',
        '--timeout=120s',
        '--namespace',
        namespace,
        'deployment',
        `${fullname}-operator`,
        `${fullname}-control-plane`,
      ]);
      const status = JSON.parse(
        await helmOk(['status', release, '--namespace', namespace, '-o', 'json']),
      ) as {
        info: { status: string };
      };
      assert.equal(status.info.status, 'deployed');
      // The pre-install hook ran the migration Job to completion, then removed it (hook-succeeded).
      const completed = await kubectlOk([
        'get',
        'events',
        '--namespace',
        namespace,
        '--field-selector',
        `involvedObject.kind=Job,involvedObject.name=${fullname}-control-plane-migrate,reason=Completed`,
        '--output',
        'name',
      ]);
      assert.notEqual(completed.trim(), '', 'the migration Job completed');
      const job = await kubectl([
        'get',
        'job',
        `${fullname}-control-plane-migrate`,
        '--namespace',
        namespace,
      ]);
      assert.notEqual(job.code, 0, 'the completed migration Job is deleted');
    });

    it('leaves the CRDs as the other suites applied them (helm skips existing CRDs)', async () => {
      const managers = await crdManagers();
      assert.ok(!managers.some((m) => m.startsWith('helm')), `no field of a CRD is helm's: ${managers}`);
      assert.ok(managers.includes('agentplane-crds'), `the CRDs keep their manager: ${managers}`);
      assert.deepEqual(
        managers.filter((m) => !crdManagersBefore.includes(m)),
        [],
        'the install added no field manager to the CRDs',
      );
    });

    it('admits an AgentInstance only in its tenant’s namespace or a pool', async () => {
      await kubectlOk(['create', 'namespace', tenantNamespace]);
      // A pool namespace the operator would create; made here when no operator suite made it yet, and
      // left in place (it belongs to no tenant and other suites may be using it).
      const pool = await kubectl(['create', 'namespace', 'agentplane-pool-enterprise']);
      assert.ok(pool.code === 0 || pool.stderr.includes('AlreadyExists'), pool.stderr);
      const create = (
        ns: string,
        tenantRef: string,
        labels: Record<string, string> = { [testLabel]: release },
      ) =>
        kubectl(['create', '--dry-run=server', '-f', '-'], {
          stdin: stringify({
            apiVersion: 'agentplane.io/v1alpha1',
            kind: 'AgentInstance',
            metadata: { name: 'support', namespace: ns, labels },
            spec: { tenantRef, agent: 'customer-service', version: '2.1.0' },
          }),
        });
      // The API server loads a new policy within moments; wait for the refusal, not a fixed time.
      const refused = await eventually(
        async () => {
          const result = await create(tenantNamespace, 'globex');
          return result.code !== 0 && result.stderr;
        },
        { what: 'the admission policy to refuse an AgentInstance in another tenant’s namespace' },
      );
      assert.match(refused, new RegExp(`${fullname}-agent-instance-namespace`));
      assert.match(
        refused,
        new RegExp(
          `AgentInstance support of tenant "globex" cannot be created in namespace ${tenantNamespace}: it belongs in tenant-globex`,
        ),
      );
      const elsewhere = await create(namespace, tenant);
      assert.notEqual(elsewhere.code, 0, 'an arbitrary namespace is refused');
      for (const [ns, ref] of [
        [tenantNamespace, tenant],
        ['agentplane-pool-enterprise', tenant],
      ] as const) {
        const admitted = await create(ns, ref);
        assert.equal(admitted.code, 0, `${ns} admits tenant ${ref}: ${admitted.stderr}`);
      }
      // Outside the binding's objectSelector the policy does not apply.
      const unselected = await create(namespace, 'globex', {});
      assert.equal(unselected.code, 0, unselected.stderr);
    });

    it('uninstalls everything it installed, and the CRDs stay', async () => {
      await helmOk(['uninstall', release, '--namespace', namespace, '--wait', '--timeout', '2m']);
      const left = await kubectlOk([
        'get',
        'clusterrole,clusterrolebinding,validatingadmissionpolicy,validatingadmissionpolicybinding,deployment,service,configmap,serviceaccount',
        '--all-namespaces',
        '--selector',
        `app.kubernetes.io/instance=${release}`,
        '--output',
        'name',
      ]);
      assert.equal(left.trim(), '', `left behind:\n${left}`);
      await kubectlOk(['get', 'crd', 'tenants.agentplane.io', 'agentinstances.agentplane.io']);
    });
  });
});

/** The field managers of both CRDs, sorted and de-duplicated. */
async function crdManagers(): Promise<string[]> {
  const out = await kubectlOk([
    'get',
    'crd',
    'tenants.agentplane.io',
    'agentinstances.agentplane.io',
    '--show-managed-fields',
    '--output',
    'jsonpath={.items[*].metadata.managedFields[*].manager}',
  ]);
  return [...new Set(out.split(/\s+/).filter(Boolean))].sort();
}
