import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { customResourceDefinitions } from '@agentplane/crds';
import { expectedCrds } from './crd-version.ts';
import { type HealthRecord, type MemberObservation, nextHealth, unknownHealth, verdictOf } from './health.ts';

const crds = expectedCrds();
const now = Date.parse('2026-11-29T12:00:00Z');
const settings = { leaseBoundMs: 30_000, unreachableAfter: 2 };

// What a healthy member answers: our CRDs as built, a Lease renewed a second ago.
const healthy = (): MemberObservation => ({
  crds: Object.fromEntries(
    crds.map((crd) => [
      crd.name,
      {
        spec: {
          versions: [{ name: 'v1alpha1', served: true, schema: { openAPIV3Schema: schemaOf(crd.name) } }],
        },
        status: { conditions: [{ type: 'Established', status: 'True' }] },
      },
    ]),
  ),
  lease: { holderIdentity: 'op-1', renewTime: new Date(now - 1000).toISOString(), resourceVersion: '7' },
});

function schemaOf(name: string) {
  return customResourceDefinitions().find((c) => c.metadata.name === name)?.spec.versions[0]?.schema
    .openAPIV3Schema;
}

describe('verdictOf', () => {
  it('Ready when the API answers, the CRDs match and the Lease is fresh', () => {
    const verdict = verdictOf(healthy(), crds, undefined, now, settings);
    assert.equal(verdict.state, 'Ready');
    assert.deepEqual(verdict.lease, { resourceVersion: '7', changedAt: now - 1000 });
  });

  it('Unreachable when the API does not answer, whatever else', () => {
    assert.equal(
      verdictOf(
        { unreachable: 'connect ECONNREFUSED', crds: {}, lease: undefined },
        crds,
        undefined,
        now,
        settings,
      ).state,
      'Unreachable',
    );
  });

  it('CRDsOutdated for a missing CRD or another schema', () => {
    const missing = { ...healthy(), crds: { ...healthy().crds, 'tenants.agentplane.io': undefined } };
    assert.deepEqual(verdictOf(missing, crds, undefined, now, settings).state, 'CRDsOutdated');
    const older = healthy();
    const tenants = older.crds['tenants.agentplane.io'] as { spec: { versions: Array<{ schema: unknown }> } };
    tenants.spec.versions[0] = {
      ...tenants.spec.versions[0],
      schema: { openAPIV3Schema: { type: 'object' } },
    } as never;
    const verdict = verdictOf(older, crds, undefined, now, settings);
    assert.equal(verdict.state, 'CRDsOutdated');
    assert.match(verdict.message, /tenants.agentplane.io v1alpha1 has schema [0-9a-f]{16}, the hub expects/);
  });

  it('OperatorMissing without a Lease, with a released one, or one not renewed within the bound', () => {
    assert.equal(
      verdictOf({ ...healthy(), lease: undefined }, crds, undefined, now, settings).state,
      'OperatorMissing',
    );
    const released = { ...healthy(), lease: { resourceVersion: '8' } };
    assert.match(verdictOf(released, crds, undefined, now, settings).message, /no holder/);
    // Seen at rv 7 a minute ago on our clock and unchanged since: stale, whatever renewTime says.
    const stale = verdictOf(
      healthy(),
      crds,
      { resourceVersion: '7', changedAt: now - 60_000 },
      now,
      settings,
    );
    assert.equal(stale.state, 'OperatorMissing');
    assert.match(stale.message, /last renewed 60 s ago/);
    // A change we saw ourselves counts from now.
    const renewed = verdictOf(
      healthy(),
      crds,
      { resourceVersion: '6', changedAt: now - 60_000 },
      now,
      settings,
    );
    assert.equal(renewed.state, 'Ready');
    assert.equal(renewed.lease?.changedAt, now);
  });
});

describe('nextHealth', () => {
  const ready: HealthRecord = {
    ...unknownHealth(),
    state: 'Ready',
    message: 'ok',
    since: new Date(now - 5000),
    failures: 0,
  };
  const down = { state: 'Unreachable' as const, message: 'connect ECONNREFUSED' };

  it('turns Unreachable after consecutive failures, keeping the last success', () => {
    const once = nextHealth({ ...ready, lastSuccessAt: new Date(now - 1000) }, down, new Date(now), settings);
    assert.equal(once.state, 'Ready');
    assert.match(once.message, /probe 1 of 2 failed/);
    const twice = nextHealth(once, down, new Date(now + 1000), settings);
    assert.equal(twice.state, 'Unreachable');
    assert.equal(twice.since?.getTime(), now + 1000);
    assert.equal(twice.lastSuccessAt?.getTime(), now - 1000);
  });

  it('a member never reached is Unreachable at once; recovery resets the count', () => {
    const first = nextHealth(unknownHealth(), down, new Date(now), settings);
    assert.equal(first.state, 'Unreachable');
    const back = nextHealth(first, { state: 'Ready', message: 'ok' }, new Date(now + 1000), settings);
    assert.deepEqual([back.state, back.failures, back.lastSuccessAt?.getTime()], ['Ready', 0, now + 1000]);
  });
});
