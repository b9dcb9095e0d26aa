import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentInstance, Tenant, TenantSpec } from '@agentplane/crds';
import type { Desired } from './desired.ts';
import { eraseKnowledge, type KnowledgeSettings } from './knowledge.ts';
import { readQdrantToken } from './qdrant-token.ts';
import { reconcileTenant, type TenantReconcileDeps, tenantFinalizer } from './reconcile.ts';
import type { ConditionFact } from './status.ts';

function tenant(
  spec: Partial<TenantSpec> & Pick<TenantSpec, 'tier'>,
  meta: Partial<Tenant['metadata']> = {},
  status?: Tenant['status'],
): Tenant {
  return {
    metadata: { name: 'acme', uid: 'uid-acme', generation: 2, finalizers: [tenantFinalizer], ...meta },
    spec,
    ...(status ? { status } : {}),
  };
}

/** Records what the reconcile asked for; `failKinds` makes applies of those kinds fail. */
function world(
  current: Tenant,
  failKinds: string[] = [],
  instances: AgentInstance[] = [],
  kafkaDown = false,
  vaultDown = false,
) {
  const applied: Desired[] = [];
  const removed: string[] = [];
  const statuses: Array<{ status: Record<string, unknown>; conditions: ConditionFact[] }> = [];
  const log: string[] = [];
  const deps: TenantReconcileDeps = {
    getTenant: (name) => (name === current.metadata.name ? current : undefined),
    agentInstancesOf: () => instances,
    ensureTenantTopics: async (_tenant, settings) => {
      log.push(`topics:${settings.messaging.partitions}`);
      return kafkaDown
        ? { type: 'MessagingReady', status: 'False', reason: 'KafkaUnavailable', message: 'no broker' }
        : { type: 'MessagingReady', status: 'True', reason: 'TopicsReady', message: 'in place' };
    },
    runtimeObjectNames: () => ['agent-support-config'],
    cleanups: [
      { what: 'Kafka topics', run: async () => void log.push('cleanup:kafka') },
      {
        what: 'Vault policy and role',
        run: async () => {
          if (vaultDown) throw new Error('connect ECONNREFUSED');
          log.push('cleanup:vault');
        },
      },
    ],
    secretsRefreshMs: 60_000,
    secretsRolloutWindowMs: 600_000,
    now: () => new Date('2026-11-29T10:00:00Z'),
    egress: [],
    poolQuota: { cpu: '64', memory: '128Gi', pods: 500 },
    actions: {
      apply: async (object) => {
        if (failKinds.includes(object.kind)) throw new Error(`${object.kind} forbidden`);
        applied.push(object);
      },
      remove: async (object) =>
        void removed.push(`${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`),
      ensureFinalizer: async () => void log.push('ensureFinalizer'),
      removeFinalizer: async () => void log.push('removeFinalizer'),
      writeStatus: async (_t, status, conditions) => void statuses.push({ status, conditions }),
      event: (_t, type, reason) => void log.push(`${type}:${reason}`),
    },
  };
  return { deps, applied, removed, statuses, log };
}

const kinds = (objects: Desired[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

/** A knowledge port over in-memory points (Qdrant down when `down`). */
const partitions = (down = false) => {
  const ensured: string[] = [];
  const points = new Map<string, string[]>([['knowledge', ['acme', 'globex', 'acme']]]);
  const settings: KnowledgeSettings = {
    collection: 'knowledge',
    dimensions: 256,
    partitions: {
      ensure: async (collection) => {
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:6333');
        ensured.push(collection);
        return { created: false, indexed: false, size: 256 };
      },
      countTenant: async (c, t) => (points.get(c) ?? []).filter((p) => p === t).length,
      countAll: async (c) => (points.get(c) ?? []).length,
      deleteTenantPoints: async (c, t) =>
        void points.set(
          c,
          (points.get(c) ?? []).filter((p) => p !== t),
        ),
      deleteCollection: async (c) => void points.delete(c),
    },
  };
  return { settings, ensured, points };
};

describe('reconcileTenant', () => {
  it('builds a dedicated home and reports it Ready', async () => {
    const w = world(tenant({ tier: 'enterprise', owners: ['alice@acme.example'] }));
    await reconcileTenant('acme', w.deps);
    assert.deepEqual(kinds(w.applied), [
      'Namespace/tenant-acme',
      'ServiceAccount/tenant-acme-runtime',
      'Role/tenant-acme-runtime',
      'RoleBinding/tenant-acme-runtime',
      'RoleBinding/tenant-acme-owners',
      'ResourceQuota/tenant-acme',
      'LimitRange/tenant-acme',
      'NetworkPolicy/tenant-acme-isolation',
    ]);
    const [written] = w.statuses;
    assert.equal(written?.status.phase, 'Ready');
    assert.equal(written?.status.observedGeneration, 2);
    assert.deepEqual(written?.status.home, {
      namespace: 'tenant-acme',
      isolation: 'dedicated',
      tier: 'enterprise',
    });
    assert.deepEqual(
      written?.conditions.map((c) => `${c.type}=${c.status}`),
      [
        'NamespaceReady=True',
        'QuotaApplied=True',
        'NetworkIsolated=True',
        'MessagingReady=True',
        'KnowledgeReady=True',
        'Ready=True',
      ],
    );
  });

  it('gives a shared tenant its identity and policy in the pool, which belongs to no tenant', async () => {
    const w = world(tenant({ tier: 'pro' }));
    await reconcileTenant('acme', w.deps);
    const pool = w.applied.find((o) => o.kind === 'Namespace');
    assert.equal(pool?.metadata.name, 'agentplane-pool-pro');
    assert.equal(pool?.metadata.ownerReferences, undefined);
    assert.ok(kinds(w.applied).includes('ResourceQuota/agentplane-pool'));
    assert.equal(w.statuses[0]?.conditions.find((c) => c.type === 'QuotaApplied')?.reason, 'PoolQuota');
  });

  it('keeps going past a failed step, reports it, and fails the reconcile so it is retried', async () => {
    const w = world(tenant({ tier: 'enterprise' }), ['NetworkPolicy']);
    await assert.rejects(reconcileTenant('acme', w.deps), /1 step\(s\) failed/);
    const ready = w.statuses[0]?.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.match(ready?.message ?? '', /NetworkIsolated: NetworkPolicy forbidden/);
    assert.ok(w.log.includes('Warning:NetworkIsolatedFailed'));
  });

  it('keeps the Kubernetes home when Kafka is down, reports it, and retries', async () => {
    const w = world(tenant({ tier: 'enterprise', messaging: { partitions: 6 } }), [], [], true);
    await assert.rejects(reconcileTenant('acme', w.deps), /1 step\(s\) failed/);
    assert.ok(w.log.includes('topics:6'), 'the spec reaches the topics');
    assert.ok(
      w.applied.some((o) => o.kind === 'NetworkPolicy'),
      'the rest of the home is still built',
    );
    const messaging = w.statuses[0]?.conditions.find((c) => c.type === 'MessagingReady');
    assert.equal(messaging?.reason, 'KafkaUnavailable');
    assert.ok(w.log.includes('Warning:KafkaUnavailable'));
    assert.deepEqual((w.statuses[0]?.status as { topics?: unknown } | undefined)?.topics, {
      events: 'agentplane.acme.events',
      deadLetter: 'agentplane.acme.dlq',
    });
  });

  it('reports Vault down as SecretsReady=False/VaultUnavailable, keeps the rest, and retries', async () => {
    const w = world(tenant({ tier: 'enterprise', secrets: { vaultPath: 'tenants/acme/prod' } }));
    const paths: string[] = [];
    w.deps.secrets = {
      kvMount: 'secret',
      readSecret: async () => assert.fail('keys are not read while Vault is down'),
      ensureAccess: async (_plan, path) => {
        paths.push(path);
        return {
          type: 'SecretsReady',
          status: 'False',
          reason: 'VaultUnavailable',
          message: 'connect ECONNREFUSED',
        };
      },
    };
    await assert.rejects(reconcileTenant('acme', w.deps), /1 step\(s\) failed/);
    assert.deepEqual(paths, ['tenants/acme/prod'], "the tenant's own path from spec.secrets");
    assert.equal(
      w.statuses[0]?.conditions.find((c) => c.type === 'SecretsReady')?.reason,
      'VaultUnavailable',
    );
    assert.equal(w.statuses[0]?.conditions.find((c) => c.type === 'NamespaceReady')?.status, 'True');
    assert.ok(w.log.includes('Warning:VaultUnavailable'));
  });

  it('runs the clean-ups before releasing a deleted tenant, and only then', async () => {
    const w = world(tenant({ tier: 'pro' }, { deletionTimestamp: new Date() as unknown as string }));
    await reconcileTenant('acme', w.deps);
    assert.deepEqual(w.log, ['cleanup:kafka', 'cleanup:vault', 'removeFinalizer']);
    assert.equal(w.applied.length, 0, 'nothing is built for a tenant being deleted');
  });

  it("deletes the tenant's agents first and reports them as what remains", async () => {
    const deleting = tenant(
      { tier: 'pro' },
      { deletionTimestamp: '2026-11-29T10:00:00Z' },
      { phase: 'Ready', namespace: 'agentplane-pool-pro' },
    );
    const support: AgentInstance = {
      metadata: { name: 'support', namespace: 'agentplane-pool-pro', uid: 'uid-support' },
      spec: { tenantRef: 'acme', agent: 'customer-service', version: '2.1.0' },
    };
    const w = world(deleting, [], [support]);
    assert.deepEqual(await reconcileTenant('acme', w.deps), { requeueAfterMs: 2000 });
    assert.deepEqual(w.removed, ['AgentInstance/agentplane-pool-pro/support']);
    assert.deepEqual(w.log, [], 'no clean-up outside Kubernetes while an agent may still consume');
    const status = w.statuses[0]?.status as {
      phase: string;
      namespace: string;
      deletion: { remaining: string[] };
    };
    assert.equal(status.phase, 'Terminating');
    assert.equal(status.namespace, 'agentplane-pool-pro', 'the rest of the status is kept');
    assert.match(
      status.deletion.remaining[0] ?? '',
      /1 AgentInstance\(s\) stopping: agentplane-pool-pro\/support/,
    );
  });

  it('keeps the finalizer and names what is left when a clean-up fails, then finishes on retry', async () => {
    const deleting = tenant({ tier: 'pro' }, { deletionTimestamp: '2026-11-29T10:00:00Z' });
    const down = world(deleting, [], [], false, true);
    await assert.rejects(reconcileTenant('acme', down.deps), /1 clean-up\(s\) failed/);
    assert.ok(!down.log.includes('removeFinalizer'));
    const status = down.statuses[0]?.status as { deletion: { remaining: string[] } };
    assert.deepEqual(status.deletion.remaining, ['Vault policy and role (connect ECONNREFUSED)']);
    assert.equal(down.statuses[0]?.conditions[0]?.reason, 'Terminating');

    const up = world(deleting);
    await reconcileTenant('acme', up.deps);
    assert.deepEqual(up.log, ['cleanup:kafka', 'cleanup:vault', 'removeFinalizer'], 'repeating is safe');
  });

  describe('declared Vault keys', () => {
    const withKeys = (secrets: TenantSpec['secrets']) => tenant({ tier: 'pro', secrets });
    const vault = (store: Record<string, { data: Record<string, string>; version: number }>) => ({
      kvMount: 'secret',
      readSecret: async (path: string) => store[path],
      ensureAccess: async () =>
        ({ type: 'SecretsReady', status: 'True', reason: 'PolicyWritten', message: 'policy' }) as const,
    });

    it('reports SecretMissing naming the key and its path, and looks again on the refresh interval', async () => {
      const w = world(withKeys({ required: [{ path: 'llm', key: 'apiKey' }] }));
      w.deps.secrets = vault({ 'tenants/acme/llm': { data: { other: 'x' }, version: 2 } });
      assert.deepEqual(await reconcileTenant('acme', w.deps), { requeueAfterMs: 60_000 });
      const secrets = w.statuses[0]?.conditions.find((c) => c.type === 'SecretsReady');
      assert.equal(secrets?.status, 'False');
      assert.equal(secrets?.reason, 'SecretMissing');
      assert.match(secrets?.message ?? '', /key apiKey in secret\/tenants\/acme\/llm/);
      assert.equal(w.statuses[0]?.status.phase, 'Provisioning');
    });

    it('projects keys into the Secret its runtime may read', async () => {
      const w = world(withKeys({ projected: [{ path: 'llm', key: 'apiKey', secretKey: 'OPENAI_API_KEY' }] }));
      w.deps.secrets = vault({ 'tenants/acme/llm': { data: { apiKey: 'sk-1' }, version: 3 } });
      await reconcileTenant('acme', w.deps);
      const secret = w.applied.find((o) => o.kind === 'Secret') as Desired & { data: Record<string, string> };
      assert.equal(secret.metadata.name, 'tenant-acme-secrets');
      assert.equal(secret.metadata.namespace, 'agentplane-pool-pro');
      assert.deepEqual(secret.data, { OPENAI_API_KEY: Buffer.from('sk-1').toString('base64') });
      assert.equal(secret.metadata.annotations?.['agentplane.io/vault-versions'], 'llm=3');
      const role = w.applied.find((o) => o.kind === 'Role') as Desired & {
        rules: Array<{ resourceNames: string[] }>;
      };
      assert.ok(role.rules[0]?.resourceNames.includes('tenant-acme-secrets'));
      assert.deepEqual(w.statuses[0]?.status.secrets, {
        path: 'tenants/acme',
        projectedSecret: 'tenant-acme-secrets',
        versions: 'llm=3',
        rolledOut: { versions: 'llm=3', at: '2026-11-29T10:00:00.000Z' },
      });
    });

    it('holds a rotation inside the rollout window as pending, and looks again when it is due', async () => {
      const rolled = { versions: 'llm=3', at: '2026-11-29T09:58:00.000Z' };
      const t = tenant(
        { tier: 'pro', secrets: { projected: [{ path: 'llm', key: 'apiKey' }] } },
        {},
        {
          secrets: {
            path: 'tenants/acme',
            projectedSecret: 'tenant-acme-secrets',
            versions: 'llm=3',
            rolledOut: rolled,
          },
        },
      );
      const w = world(t);
      w.deps.secrets = vault({ 'tenants/acme/llm': { data: { apiKey: 'sk-2' }, version: 4 } });
      assert.deepEqual(
        await reconcileTenant('acme', w.deps),
        { requeueAfterMs: 60_000 },
        'the refresh comes first',
      );
      w.deps.secretsRefreshMs = 3_600_000;
      const again = world(t);
      again.deps.secrets = w.deps.secrets;
      again.deps.secretsRefreshMs = 3_600_000;
      assert.deepEqual(await reconcileTenant('acme', again.deps), { requeueAfterMs: 8 * 60_000 });
      const secrets = again.statuses[0]?.status.secrets as Record<string, unknown>;
      assert.deepEqual(secrets.rolledOut, rolled, 'the pods keep running with what they have');
      assert.deepEqual(secrets.pendingRollout, { versions: 'llm=4', notBefore: '2026-11-29T10:08:00.000Z' });
    });

    it('removes the projected Secret when projection is switched off', async () => {
      const t = tenant(
        { tier: 'pro' },
        {},
        { secrets: { path: 'tenants/acme', projectedSecret: 'tenant-acme-secrets' } },
      );
      const w = world(t);
      w.deps.secrets = vault({});
      assert.equal(await reconcileTenant('acme', w.deps), undefined, 'nothing declared: no refresh');
      assert.deepEqual(w.removed, ['Secret/agentplane-pool-pro/tenant-acme-secrets']);
    });
  });

  describe('a change of isolation', () => {
    const moved = (status: Tenant['status']) =>
      tenant({ tier: 'pro', isolation: 'dedicated', secrets: { projected: [{ key: 'token' }] } }, {}, status);
    const agent = (namespace: string, ready: boolean): AgentInstance => ({
      metadata: { name: 'support', namespace, uid: `uid-${namespace}` },
      spec: { tenantRef: 'acme', agent: 'customer-service', version: '2.1.0' },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            reason: 'r',
            message: 'm',
            lastTransitionTime: '2026-11-23T09:00:00Z',
          },
        ],
      },
    });
    const wasShared = {
      home: { namespace: 'agentplane-pool-pro', isolation: 'shared' as const, tier: 'pro' as const },
      secrets: { path: 'tenants/acme', projectedSecret: 'tenant-acme-secrets' },
    };

    it('builds the new home first and copies each agent there, keeping the old home in status', async () => {
      const w = world(moved(wasShared), [], [agent('agentplane-pool-pro', true)]);
      const result = await reconcileTenant('acme', w.deps);
      assert.deepEqual(result, { requeueAfterMs: 2000 }, 'looks again while moving');
      assert.equal(w.applied[0]?.metadata.name, 'tenant-acme', 'the new namespace comes first');
      const copy = w.applied.find((o) => o.kind === 'AgentInstance');
      assert.equal(copy?.metadata.namespace, 'tenant-acme');
      assert.deepEqual(w.removed, [], 'nothing is removed before the copy is Ready');
      const status = w.statuses[0]?.status as {
        home: { namespace: string };
        moving: { step: string };
        phase: string;
      };
      assert.equal(status.home.namespace, 'agentplane-pool-pro');
      assert.equal(status.moving.step, 'MovingAgents');
      assert.equal(status.phase, 'Provisioning');
    });

    it('removes an old agent once its copy is Ready, then the old home, and settles', async () => {
      const inBoth = world(
        moved(wasShared),
        [],
        [agent('agentplane-pool-pro', true), agent('tenant-acme', true)],
      );
      await reconcileTenant('acme', inBoth.deps);
      assert.deepEqual(inBoth.removed, ['AgentInstance/agentplane-pool-pro/support']);

      const onlyNew = world(moved(wasShared), [], [agent('tenant-acme', true)]);
      onlyNew.deps.knowledge = {
        ...partitions().settings,
        access: { apiKey: 'platform-key', tokenValidityMs: 720 * 3_600_000 },
      };
      const bound: string[][] = [];
      onlyNew.deps.secrets = {
        kvMount: 'secret',
        readSecret: async () => ({ data: { token: 't' }, version: 1 }),
        ensureAccess: async (_plan, _path, namespaces) => {
          bound.push(namespaces);
          return { type: 'SecretsReady', status: 'True', reason: 'PolicyWritten', message: 'policy' };
        },
      };
      assert.deepEqual(
        await reconcileTenant('acme', onlyNew.deps),
        { requeueAfterMs: 2000 },
        'once more, to narrow Vault access to the new home',
      );
      assert.deepEqual(
        bound,
        [['tenant-acme', 'agentplane-pool-pro']],
        'both homes may log in during the move',
      );
      assert.deepEqual(onlyNew.removed.sort(), [
        'NetworkPolicy/agentplane-pool-pro/tenant-acme-isolation',
        'Role/agentplane-pool-pro/tenant-acme-runtime',
        'RoleBinding/agentplane-pool-pro/tenant-acme-runtime',
        'Secret/agentplane-pool-pro/tenant-acme-qdrant',
        'Secret/agentplane-pool-pro/tenant-acme-secrets',
        'ServiceAccount/agentplane-pool-pro/tenant-acme-runtime',
      ]);
      const status = onlyNew.statuses[0]?.status as { home: { namespace: string }; moving?: unknown };
      assert.equal(status.home.namespace, 'tenant-acme');
      assert.equal(status.moving, undefined);
      assert.ok(onlyNew.log.includes('Normal:Moved'));
    });
  });

  describe('hibernation', () => {
    const idleSince = '2026-11-29T09:00:00.000Z';
    const awakeBasic = () =>
      tenant(
        { tier: 'basic' },
        {},
        { hibernation: { mode: 'Auto', state: 'Awake', observedOffsets: 4, idleSince } },
      );
    const port = (lag: () => Promise<number>) => ({
      observation: () => ({ offsets: 4, at: new Date('2026-11-29T10:00:00Z') }),
      lag: async () => lag(),
      defaultIdleMs: 30 * 60_000,
    });

    it('reads the lag only when the idle window ended, then hibernates with an Event', async () => {
      const w = world(awakeBasic());
      let reads = 0;
      w.deps.hibernation = port(async () => {
        reads++;
        return 0;
      });
      await reconcileTenant('acme', w.deps);
      assert.equal(reads, 1);
      const [written] = w.statuses;
      assert.equal(written?.status.phase, 'Hibernating');
      assert.deepEqual(written?.status.hibernation, {
        mode: 'Auto',
        idleAfter: '30m',
        state: 'Hibernating',
        observedOffsets: 4,
        idleSince,
        hibernatedAt: '2026-11-29T10:00:00.000Z',
      });
      assert.ok(w.log.includes('Normal:Hibernated'));
      assert.equal(written?.conditions.at(-1)?.reason, 'Hibernating');
    });

    it('stays awake and retries when the lag cannot be read', async () => {
      const w = world(awakeBasic());
      w.deps.hibernation = port(async () => {
        throw new Error('kafka lag: connect ECONNREFUSED');
      });
      await assert.rejects(reconcileTenant('acme', w.deps), /1 step\(s\) failed/);
      assert.equal(w.statuses[0]?.status.phase, 'Ready');
      assert.equal((w.statuses[0]?.status.hibernation as { state?: string } | undefined)?.state, 'Awake');
    });

    it('writes a pinned tenant as such and never asks Kafka', async () => {
      const w = world(tenant({ tier: 'enterprise' }));
      w.deps.hibernation = port(async () => assert.fail('no lag read for a tenant that cannot hibernate'));
      await reconcileTenant('acme', w.deps);
      assert.deepEqual(w.statuses[0]?.status.hibernation, { mode: 'Never', state: 'Awake' });
    });
  });
});

describe('reconcileTenant: knowledge partition', () => {
  const condition = (w: ReturnType<typeof world>) =>
    w.statuses[0]?.conditions.find((c) => c.type === 'KnowledgeReady');

  it('says not configured without Qdrant, and the tenant is Ready', async () => {
    const w = world(tenant({ tier: 'pro' }));
    await reconcileTenant('acme', w.deps);
    assert.equal(condition(w)?.reason, 'NotConfigured');
    assert.equal(w.statuses[0]?.status.knowledge, undefined);
    assert.equal(w.statuses[0]?.status.phase, 'Ready');
  });

  it('ensures the shared or the own collection and reports it in status', async () => {
    for (const [tier, collection, reason] of [
      ['pro', 'knowledge', 'SharedCollection'],
      ['enterprise', 'knowledge-acme', 'DedicatedCollection'],
    ] as const) {
      const q = partitions();
      const w = world(tenant({ tier }));
      w.deps.knowledge = q.settings;
      await reconcileTenant('acme', w.deps);
      assert.deepEqual(q.ensured, [collection]);
      assert.equal(condition(w)?.reason, reason);
      // Exactly this: no point count, which would change (and be written) on every resync.
      assert.deepEqual(w.statuses[0]?.status.knowledge, {
        collection,
        isolation: tier === 'pro' ? 'shared' : 'dedicated',
      });
    }
  });

  it('keeps the rest of the tenant when Qdrant is down, reports it, and retries', async () => {
    const w = world(tenant({ tier: 'pro' }));
    w.deps.knowledge = partitions(true).settings;
    await assert.rejects(reconcileTenant('acme', w.deps), /1 step\(s\) failed/);
    assert.equal(condition(w)?.status, 'False');
    assert.equal(condition(w)?.reason, 'QdrantUnavailable');
    assert.equal(w.statuses[0]?.conditions.find((c) => c.type === 'Ready')?.status, 'False');
    assert.equal(w.statuses[0]?.conditions.find((c) => c.type === 'NamespaceReady')?.status, 'True');
    assert.ok(w.log.includes('Warning:QdrantUnavailable'));
  });

  it("gives the pods a read-only token for the tenant's collection, the same until renewal, even with Qdrant down", async () => {
    const access = { apiKey: 'platform-key', tokenValidityMs: 720 * 3_600_000 };
    const secretOf = (w: ReturnType<typeof world>) =>
      w.applied.find((o) => o.kind === 'Secret') as Desired & { data: Record<string, string> };
    const w = world(tenant({ tier: 'enterprise' }));
    w.deps.knowledge = { ...partitions().settings, access };
    const result = await reconcileTenant('acme', w.deps);
    const secret = secretOf(w);
    assert.deepEqual(
      [secret.metadata.name, secret.metadata.namespace],
      ['tenant-acme-qdrant', 'tenant-acme'],
    );
    const token = Buffer.from(secret.data.QDRANT_API_KEY ?? '', 'base64').toString();
    assert.deepEqual(readQdrantToken(token, 'platform-key')?.access, [
      { collection: 'knowledge-acme', access: 'r' },
    ]);
    assert.match(condition(w)?.message ?? '', /read-only token \(Secret tenant-acme-qdrant\)/);
    const renewAt = Date.parse(secret.metadata.annotations?.['agentplane.io/qdrant-token-expires'] ?? '');
    assert.ok(
      result?.requeueAfterMs && result.requeueAfterMs <= renewAt - Date.parse('2026-11-29T10:00:00Z'),
    );

    const down = world(tenant({ tier: 'enterprise' }));
    down.deps.knowledge = { ...partitions(true).settings, access };
    await assert.rejects(reconcileTenant('acme', down.deps), /1 step\(s\) failed/);
    assert.deepEqual(secretOf(down), secret, 'the same Secret: applying it again writes nothing');
  });

  it("records the token's expiry in status only once the Secret holds it, so the agents roll after it", async () => {
    const access = { apiKey: 'platform-key', tokenValidityMs: 720 * 3_600_000 };
    const w = world(tenant({ tier: 'enterprise' }));
    w.deps.knowledge = { ...partitions().settings, access };
    await reconcileTenant('acme', w.deps);
    const secret = w.applied.find((o) => o.kind === 'Secret');
    const expires = secret?.metadata.annotations?.['agentplane.io/qdrant-token-expires'];
    assert.ok(expires);
    assert.equal(
      (w.statuses.at(-1)?.status.knowledge as { tokenExpiresAt?: string })?.tokenExpiresAt,
      expires,
    );

    const refused = world(tenant({ tier: 'enterprise' }));
    refused.deps.knowledge = { ...partitions().settings, access };
    const apply = refused.deps.actions.apply;
    refused.deps.actions.apply = async (object) => {
      if (object.kind === 'Secret') throw new Error('forbidden');
      return apply(object);
    };
    await assert.rejects(reconcileTenant('acme', refused.deps));
    assert.ok(refused.statuses.length > 0, 'the status is still written');
    assert.equal(
      (refused.statuses.at(-1)?.status.knowledge as { tokenExpiresAt?: string })?.tokenExpiresAt,
      undefined,
      'no Secret, no expiry to roll for',
    );
  });

  it('writes the deletion report before the finalizer goes, on the object it wrote', async () => {
    const q = partitions();
    const deleting = tenant(
      { tier: 'pro' },
      { deletionTimestamp: '2026-11-29T10:00:00Z', resourceVersion: '41' },
      { knowledge: { collection: 'knowledge', isolation: 'shared' } },
    );
    const w = world(deleting);
    w.deps.cleanups.push({
      what: 'knowledge points in Qdrant',
      run: async (t) => ({
        knowledge: await eraseKnowledge(
          t.metadata.name,
          'shared',
          q.settings,
          new Date('2026-11-29T10:00:01Z'),
        ),
      }),
    });
    w.deps.actions.writeStatus = async (_t, status, conditions) => {
      w.statuses.push({ status, conditions });
      return '42';
    };
    w.deps.actions.removeFinalizer = async (t) =>
      void w.log.push(`removeFinalizer@${t.metadata.resourceVersion}`);
    await reconcileTenant('acme', w.deps);
    assert.deepEqual(q.points.get('knowledge'), ['globex'], "only the tenant's points are erased");
    const deletion = w.statuses[0]?.status.deletion as { remaining: string[]; knowledge: unknown };
    assert.deepEqual(deletion, {
      remaining: [],
      knowledge: {
        collection: 'knowledge',
        pointsBefore: 2,
        pointsAfter: 0,
        erasedAt: '2026-11-29T10:00:01.000Z',
      },
    });
    assert.deepEqual(w.log.slice(-2), ['Normal:KnowledgeErased', 'removeFinalizer@42']);
  });

  it('keeps the report over a retried deletion and adds what a retry erased', async () => {
    const q = partitions();
    const reported = {
      collection: 'knowledge',
      pointsBefore: 2,
      pointsAfter: 0,
      erasedAt: '2026-11-29T10:00:01Z',
    };
    const deleting = tenant(
      { tier: 'pro' },
      { deletionTimestamp: '2026-11-29T10:00:00Z' },
      { deletion: { remaining: ['Vault policy and role (down)'], knowledge: reported } },
    );
    q.points.set('knowledge', ['globex']);
    const w = world(deleting);
    w.deps.cleanups.push({
      what: 'knowledge points in Qdrant',
      run: async (t) => ({
        knowledge: await eraseKnowledge(t.metadata.name, 'shared', q.settings, new Date()),
      }),
    });
    await reconcileTenant('acme', w.deps);
    assert.deepEqual(w.statuses, [], 'nothing new erased: no status write, no Event');
    assert.deepEqual(w.log, ['cleanup:kafka', 'cleanup:vault', 'removeFinalizer']);
  });
});
