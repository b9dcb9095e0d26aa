// The pure parts of status and deploy: the hub's view rendered with advice, and deploy steps read
// from operator conditions (the e2e suite runs both against a real operator).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentInstance, Tenant } from '@agentplane/crds';
import { adviceFor } from './advice.ts';
import { fromApi, problemsOf, renderStatus } from './commands/status.ts';
import type { TenantView } from './commands/tenants.ts';
import { assessDeployment } from './deploy-steps.ts';

const condition = (type: string, status: string, reason: string, message = '') => ({
  type,
  status: status as 'True' | 'False' | 'Unknown',
  reason,
  message,
  lastTransitionTime: '2026-12-06T10:00:00Z',
});

const hubView: TenantView = {
  id: 'acme',
  displayName: 'ACME Corp',
  tier: 'pro',
  isolation: 'shared',
  region: 'eu',
  suspended: false,
  createdAt: '2026-12-06T09:00:00.000Z',
  placement: { cluster: 'eu-1', pinned: true, migratingTo: null },
  status: {
    cluster: 'eu-1',
    clusterHealth: 'Unreachable',
    phase: 'Degraded',
    reason: 'ClusterUnreachable',
    message: 'member eu-1 has not answered since 10:01',
    conditions: [
      condition('Ready', 'True', 'Provisioned'),
      condition('MessagingReady', 'True', 'TopicsReady'),
    ],
    namespace: 'agentplane-pool-pro',
    agentInstances: 1,
    lastSeenAt: '2026-12-06T10:01:00.000Z',
  },
};

describe('status', () => {
  it("shows a hub's member cluster that does not answer as a problem, with what to do", () => {
    const clusters = [fromApi(hubView)].filter((c) => c !== undefined);
    const problems = problemsOf(clusters, [], 'acme');
    assert.deepEqual(
      problems.map((p) => [p.cluster, p.type, p.reason]),
      [['eu-1', 'ClusterReachable', 'ClusterUnreachable']],
    );
    const text = renderStatus({
      tenant: 'acme',
      api: hubView,
      clusters,
      agents: [],
      problems,
      healthy: false,
    });
    assert.match(text, /Cluster: +eu-1 \(pinned\)/);
    assert.match(text, /Cluster eu-1 \(control plane's view; cluster Unreachable, last seen \d+\w ago\)/);
    assert.match(
      text,
      /✗ Tenant acme on eu-1: ClusterReachable=False \(ClusterUnreachable\)[^\n]*\n +→ .*platformctl clusters/,
    );
  });

  it('has advice for every reason the operator docs list, and a generic one otherwise', () => {
    for (const [type, reason] of [
      ['SecretsReady', 'SecretMissing'],
      ['MessagingReady', 'PartitionsCannotShrink'],
      ['TenantValid', 'TierLimitExceeded'],
      ['Available', 'QuotaExceeded'],
      ['Scaling', 'Capped'],
    ])
      assert.doesNotMatch(
        adviceFor('Tenant', condition(type ?? '', 'False', reason ?? '')),
        /kubectl describe/,
      );
    assert.match(adviceFor('AgentInstance', condition('Deployed', 'False', 'Weird')), /kubectl describe ai/);
  });
});

const tenant = (
  generation: number,
  observed: number | undefined,
  conditions: ReturnType<typeof condition>[],
) =>
  ({
    metadata: { name: 'acme', generation },
    spec: { tier: 'pro' },
    status: { ...(observed === undefined ? {} : { observedGeneration: observed }), conditions },
  }) as Tenant;

describe('deploy steps', () => {
  const home = ['NamespaceReady', 'QuotaApplied', 'NetworkIsolated'].map((t) =>
    condition(t, 'True', 'Ok', t),
  );

  it('waits for the operator to observe the applied generation', () => {
    const steps = assessDeployment(tenant(2, 1, [...home, condition('Ready', 'True', 'Provisioned')]), []);
    assert.equal(steps[0]?.state, 'pending');
    assert.equal(steps[0]?.blocker?.reason, 'NotObserved');
  });

  it('marks what the operator does not report as skipped, and a refused agent as failed', () => {
    const agent = {
      metadata: { name: 'campaigns', namespace: 'agentplane-pool-basic', generation: 1 },
      spec: { tenantRef: 'acme' },
      status: {
        observedGeneration: 1,
        conditions: [condition('TenantValid', 'False', 'AgentNotAllowed', 'no')],
      },
    } as unknown as AgentInstance;
    const steps = assessDeployment(
      tenant(1, 1, [...home, condition('MessagingReady', 'True', 'TopicsReady')]),
      [agent],
    );
    assert.deepEqual(
      steps.map((s) => [s.name, s.state]),
      [
        ['infra', 'done'],
        ['secrets', 'skipped'],
        ['topics', 'done'],
        ['agents', 'failed'],
      ],
    );
    assert.match(steps[3]?.blocker?.advice ?? '', /higher tier/);
  });
});
