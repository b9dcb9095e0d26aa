import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrimaryLine } from './primary-changes.ts';

describe('parsePrimaryLine', () => {
  it("reads a Tenant's labels and an AgentInstance's namespace and tenant", () => {
    assert.deepEqual(parsePrimaryLine('Tenant||acme|{"chaos":"ck-1"}|'), {
      kind: 'Tenant',
      key: 'acme',
      labels: { chaos: 'ck-1' },
      tenantRef: '',
    });
    assert.deepEqual(parsePrimaryLine('AgentInstance|pool|support||acme'), {
      kind: 'AgentInstance',
      key: 'pool/support',
      labels: {},
      tenantRef: 'acme',
    });
  });

  it('ignores anything else kubectl prints', () => {
    assert.equal(parsePrimaryLine('Warning: something'), undefined);
    assert.equal(parsePrimaryLine(''), undefined);
  });
});
