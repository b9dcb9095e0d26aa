// The CRDs as the real API server enforces them: install, samples, defaults, every CEL rule's
// message, immutability, status subresource, kubectl explain and the `agentplane` category.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { installCrds } from '../helpers/crds.ts';
import { uniqueName } from '../helpers/env.ts';
import { kubectl, kubectlOk } from '../helpers/kubectl.ts';

type Manifest = {
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
  [field: string]: unknown;
};
type Modifier = (m: Manifest) => void;

function tenant(name: string, ...modifiers: Modifier[]): Manifest {
  const m: Manifest = {
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name },
    spec: { tier: 'pro' },
  };
  for (const modify of modifiers) modify(m);
  return m;
}

function agentInstance(namespace: string, name: string, ...modifiers: Modifier[]): Manifest {
  const m: Manifest = {
    apiVersion: 'agentplane.io/v1alpha1',
    kind: 'AgentInstance',
    metadata: { name, namespace },
    spec: { tenantRef: 'acme', agent: 'customer-service', version: '2.1.0' },
  };
  for (const modify of modifiers) modify(m);
  return m;
}

const withSpec =
  (fields: Record<string, unknown>): Modifier =>
  (m) => {
    m.spec = { ...m.spec, ...fields };
  };
const withoutSpec =
  (field: string): Modifier =>
  (m) => {
    delete m.spec[field];
  };

/** Server-side dry run of a create: the API server validates and defaults, nothing is stored. */
function dryRun(manifest: Manifest) {
  return kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], { stdin: JSON.stringify(manifest) });
}

async function readSample(file: string): Promise<Manifest> {
  return parse(await readFile(new URL(`../../crds/samples/${file}`, import.meta.url), 'utf8'));
}

describe('CRDs: Tenant and AgentInstance validated by the API server', () => {
  const namespace = uniqueName('crds');
  const created: string[] = [];

  before(async () => {
    await installCrds();
    await kubectlOk(['create', 'namespace', namespace]);
  });
  after(async () => {
    await kubectl(['delete', 'namespace', namespace, '--wait=false']);
    for (const name of created)
      await kubectl(['delete', 'tenant', name, '--wait=false', '--ignore-not-found']);
  });

  it('installs idempotently: a second server-side apply changes nothing and both CRDs stay Established', async () => {
    type Crd = {
      metadata: { resourceVersion: string };
      spec: { scope: string; names: { shortNames: string[]; categories: string[] } };
    };
    const read = async () =>
      (
        JSON.parse(
          await kubectlOk([
            'get',
            'crd',
            'tenants.agentplane.io',
            'agentinstances.agentplane.io',
            '-o',
            'json',
          ]),
        ) as { items: Crd[] }
      ).items;
    const before = await read();
    await installCrds();
    const crds = await read();
    assert.deepEqual(
      crds.map((c) => c.metadata.resourceVersion),
      before.map((c) => c.metadata.resourceVersion),
      'the second apply wrote nothing',
    );
    assert.deepEqual(
      crds.map((c) => [c.spec.scope, c.spec.names.shortNames, c.spec.names.categories]),
      [
        ['Cluster', ['tn'], ['agentplane']],
        ['Namespaced', ['ai'], ['agentplane']],
      ],
    );
  });

  it('accepts the samples and fills in the defaults', async () => {
    for (const file of ['tenant-acme.yaml', 'tenant-globex.yaml']) {
      const sample = await readSample(file);
      sample.metadata.name = uniqueName(String(sample.metadata.name));
      delete (sample.spec.secrets as Record<string, unknown> | undefined)?.vaultPath;
      const result = await dryRun(sample);
      assert.equal(result.code, 0, `${file} is rejected: ${result.stderr}`);
    }
    const support = await readSample('agentinstance-support.yaml');
    support.metadata.namespace = namespace;
    const result = await dryRun(support);
    assert.equal(result.code, 0, `agentinstance-support.yaml is rejected: ${result.stderr}`);

    const minimal = JSON.parse((await dryRun(tenant(uniqueName('crds')))).stdout) as Manifest;
    assert.deepEqual(
      minimal.spec,
      { tier: 'pro', messaging: { partitions: 3, retentionHours: 168 }, suspended: false },
      'no isolation default: the operator resolves it from the tier',
    );
    const agent = JSON.parse(
      (
        await dryRun(
          agentInstance(namespace, 'defaults', withSpec({ autoscaling: { maxReplicas: 3 }, knowledge: {} })),
        )
      ).stdout,
    ) as Manifest;
    assert.deepEqual(agent.spec.autoscaling, { minReplicas: 1, maxReplicas: 3, targetLag: 100 });
    assert.deepEqual(agent.spec.knowledge, { enabled: true, topK: 5 });
    assert.equal(agent.spec.replicas, 1);
    assert.equal(agent.spec.paused, false);
  });

  it('accepts a name of exactly 40 characters and quantities written as strings or integers', async () => {
    const name = `${uniqueName('crds')}-`.padEnd(40, 'x');
    const result = await dryRun(tenant(name, withSpec({ quota: { cpu: 4, memory: '512Mi', pods: 20 } })));
    assert.equal(result.code, 0, result.stderr);
  });

  const rejected: Array<[string, () => Manifest, RegExp]> = [
    [
      'basic tier with dedicated isolation',
      () => tenant(uniqueName('crds'), withSpec({ tier: 'basic', isolation: 'dedicated' })),
      /spec\.isolation: Forbidden: the basic tier runs in the shared pool only/,
    ],
    [
      'a tenant without tier',
      () => tenant(uniqueName('crds'), withoutSpec('tier')),
      /spec\.tier: Required value/,
    ],
    [
      'an unknown tier',
      () => tenant(uniqueName('crds'), withSpec({ tier: 'gold' })),
      /spec\.tier: Unsupported value: "gold": supported values: "basic", "pro", "enterprise"/,
    ],
    [
      'a tenant name of 41 characters',
      () => tenant(`${uniqueName('crds')}-`.padEnd(41, 'x')),
      /metadata\.name: Invalid value: a Tenant name may have at most 40 characters because it becomes the namespace/,
    ],
    [
      'a tenant name with a dot',
      () => tenant(`${uniqueName('crds')}.example`),
      /a Tenant name must be a DNS label/,
    ],
    [
      'a cpu quota that is not a quantity',
      () => tenant(uniqueName('crds'), withSpec({ quota: { cpu: 'lots' } })),
      /spec\.quota\.cpu: Invalid value: "lots": quota\.cpu must be a positive Kubernetes quantity/,
    ],
    [
      'a memory quota with a lower-case suffix',
      () => tenant(uniqueName('crds'), withSpec({ quota: { memory: '8gi' } })),
      /spec\.quota\.memory: Invalid value: "8gi": quota\.memory must be a positive Kubernetes quantity such as "512Mi" or "8Gi"/,
    ],
    [
      'a zero cpu quota',
      () => tenant(uniqueName('crds'), withSpec({ quota: { cpu: 0 } })),
      /quota\.cpu must be a positive Kubernetes quantity/,
    ],
    [
      'a negative agent instance limit',
      () => tenant(uniqueName('crds'), withSpec({ quota: { maxAgentInstances: -1 } })),
      /spec\.quota\.maxAgentInstances: Invalid value: -1: .* should be greater than or equal to 0/,
    ],
    [
      'a topic with 101 partitions',
      () => tenant(uniqueName('crds'), withSpec({ messaging: { partitions: 101 } })),
      /spec\.messaging\.partitions: Invalid value: 101: .* should be less than or equal to 100/,
    ],
    [
      "a Vault path outside the tenant's subtree",
      () => tenant('crds-vault', withSpec({ secrets: { vaultPath: 'tenants/other' } })),
      /spec\.secrets\.vaultPath: Forbidden: spec\.secrets\.vaultPath must be tenants\/crds-vault or below it/,
    ],
    [
      'two projected keys landing under one name in the Secret',
      () =>
        tenant(
          uniqueName('crds'),
          withSpec({
            secrets: {
              projected: [
                { path: 'llm', key: 'apiKey' },
                { path: 'other', key: 'token', secretKey: 'apiKey' },
              ],
            },
          }),
        ),
      /spec\.secrets\.projected: Invalid value: .*two projected keys would land under the same name in the Kubernetes Secret/,
    ],
    [
      'a required key whose secret path climbs out of the tenant subtree',
      () => tenant(uniqueName('crds'), withSpec({ secrets: { required: [{ path: '../other', key: 'k' }] } })),
      /spec\.secrets\.required\[0\]\.path: Invalid value: "\.\.\/other"/,
    ],
    [
      'replicas above autoscaling.maxReplicas',
      () =>
        agentInstance(
          namespace,
          'a',
          withSpec({ replicas: 9, autoscaling: { minReplicas: 1, maxReplicas: 5 } }),
        ),
      /spec\.replicas: Invalid value: replicas must lie within autoscaling\.minReplicas\.\.maxReplicas/,
    ],
    [
      'minReplicas greater than maxReplicas',
      () =>
        agentInstance(
          namespace,
          'a',
          withSpec({ replicas: 3, autoscaling: { minReplicas: 4, maxReplicas: 2 } }),
        ),
      /spec\.autoscaling\.minReplicas: Invalid value: autoscaling\.minReplicas must not be greater than maxReplicas/,
    ],
    [
      'an agent type outside the catalogue',
      () => agentInstance(namespace, 'a', withSpec({ agent: 'custom' })),
      /spec\.agent: Unsupported value: "custom": supported values: "customer-service", "sales", "marketing", "lead-qualifier"/,
    ],
    [
      'a version that is not semver',
      () => agentInstance(namespace, 'a', withSpec({ version: 'v2' })),
      /spec\.version: Invalid value: "v2": version must be a semantic version such as 2\.1\.0/,
    ],
    [
      'a temperature above 2',
      () => agentInstance(namespace, 'a', withSpec({ model: { name: 'gpt-4o-mini', temperature: 2.5 } })),
      /spec\.model\.temperature: Invalid value: 2\.5/,
    ],
    [
      'knowledge.topK of 51',
      () => agentInstance(namespace, 'a', withSpec({ knowledge: { topK: 51 } })),
      /spec\.knowledge\.topK: Invalid value: 51/,
    ],
    [
      'an agent instance without tenantRef',
      () => agentInstance(namespace, 'a', withoutSpec('tenantRef')),
      /spec\.tenantRef: Required value/,
    ],
  ];

  describe('rejects invalid manifests with a message a person understands', () => {
    for (const [what, manifest, message] of rejected) {
      it(what, async () => {
        const result = await dryRun(manifest());
        assert.notEqual(result.code, 0, `${what} was accepted`);
        assert.match(result.stderr, message);
      });
    }
  });

  it('keeps tenantRef immutable but lets other fields change', async () => {
    const support = agentInstance(namespace, 'support', withSpec({ tenantRef: uniqueName('crds') }));
    await kubectlOk(['apply', '-f', '-'], { stdin: JSON.stringify(support) });

    const moved = await kubectl(['apply', '-f', '-'], {
      stdin: JSON.stringify(agentInstance(namespace, 'support', withSpec({ tenantRef: uniqueName('crds') }))),
    });
    assert.notEqual(moved.code, 0, 'changing tenantRef was accepted');
    assert.match(
      moved.stderr,
      /spec\.tenantRef: Forbidden: tenantRef is immutable: delete this AgentInstance/,
    );

    await kubectlOk(['apply', '-f', '-'], {
      stdin: JSON.stringify({ ...support, spec: { ...support.spec, version: '2.2.0' } }),
    });
    assert.equal(
      await kubectlOk(['get', 'ai', 'support', '-n', namespace, '-o', 'jsonpath={.spec.version}']),
      '2.2.0',
    );
  });

  it('takes status only through the status subresource, with the condition schema enforced', async () => {
    const name = uniqueName('crds');
    created.push(name);
    await kubectlOk(['apply', '-f', '-'], {
      stdin: JSON.stringify({ ...tenant(name), status: { phase: 'Ready' } }),
    });
    assert.equal(
      await kubectlOk(['get', 'tenant', name, '-o', 'jsonpath={.status}']),
      '',
      'status written with the main resource is dropped',
    );

    const status = {
      status: {
        observedGeneration: 1,
        phase: 'Ready',
        namespace: 'agentplane-pool-pro',
        home: { namespace: 'agentplane-pool-pro', isolation: 'shared', tier: 'pro' },
        agentInstances: 0,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Provisioned',
            message: '',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
    };
    const patch = (body: unknown) =>
      kubectl([
        'patch',
        'tenant',
        name,
        '--subresource=status',
        '--type=merge',
        '--dry-run=server',
        '-p',
        JSON.stringify(body),
      ]);
    const accepted = await patch(status);
    assert.equal(accepted.code, 0, accepted.stderr);

    const badPhase = await patch({ status: { ...status.status, phase: 'Sleeping' } });
    assert.match(badPhase.stderr, /status\.phase: Unsupported value: "Sleeping"/);
    const badCondition = await patch({
      status: {
        conditions: [
          { type: 'Ready', status: 'Yes', reason: 'not a reason!', message: '', lastTransitionTime: 'now' },
        ],
      },
    });
    assert.match(badCondition.stderr, /status\.conditions\[0\]\.status: Unsupported value: "Yes"/);
    assert.match(badCondition.stderr, /status\.conditions\[0\]\.reason/);
  });

  it('explains the fields with their descriptions', async () => {
    const quota = await kubectlOk(['explain', 'tenant.spec.quota']);
    assert.match(quota, /Overrides of the tier's defaults/);
    assert.match(quota, /maxAgentInstances\s+<integer>/);
    assert.match(
      await kubectlOk(['explain', 'tn.spec.isolation']),
      /dedicated for\s+enterprise, shared otherwise/,
    );
    assert.match(await kubectlOk(['explain', 'ai.spec.tenantRef']), /Immutable/);
  });

  it('lists both kinds under `kubectl get agentplane` with the printer columns', async () => {
    const name = uniqueName('crds');
    created.push(name);
    await kubectlOk(['apply', '-f', '-'], { stdin: JSON.stringify(tenant(name)) });
    await kubectlOk(['apply', '-f', '-'], {
      stdin: JSON.stringify(agentInstance(namespace, 'listed', withSpec({ tenantRef: name }))),
    });

    const tenants = await kubectlOk(['get', 'tn', name]);
    assert.match(tenants.split('\n')[0] ?? '', /^NAME\s+TIER\s+ISOLATION\s+NAMESPACE\s+PHASE\s+READY\s+AGE$/);
    assert.match(tenants, new RegExp(`^${name}\\s+pro\\s`, 'm'));

    const all = await kubectlOk(['get', 'agentplane', '-A']);
    assert.match(all, new RegExp(`tenant\\.agentplane\\.io/${name}\\b`));
    assert.match(all, /NAMESPACE\s+NAME\s+TENANT\s+AGENT\s+VERSION\s+READY\s+PHASE\s+AGE/);
    assert.match(
      all,
      new RegExp(
        `${namespace}\\s+agentinstance\\.agentplane\\.io/listed\\s+${name}\\s+customer-service\\s+2\\.1\\.0\\s`,
      ),
    );
  });
});
