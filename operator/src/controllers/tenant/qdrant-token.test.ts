import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredQdrantSecret, qdrantTokenStep } from './knowledge.ts';
import {
  mintQdrantToken,
  type QdrantTokenClaims,
  readQdrantToken,
  tenantQdrantToken,
  tokenWindow,
} from './qdrant-token.ts';

const hour = 3_600_000;
const validity = 720 * hour;
const at = (iso: string) => new Date(iso);
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());

describe('qdrant tenant tokens', () => {
  it('signs HS256 exactly as JWT libraries do', () => {
    // The example token of RFC 7519 tooling (jwt.io), secret "your-256-bit-secret".
    const claims = { sub: '1234567890', name: 'John Doe', iat: 1516239022 } as unknown as QdrantTokenClaims;
    assert.equal(
      mintQdrantToken('your-256-bit-secret', claims),
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    );
  });

  it("grants read on the tenant's collection alone, until exp in seconds", () => {
    const now = at('2026-11-29T10:00:00Z');
    const { token, window } = tenantQdrantToken('k', 'acme', 'knowledge-acme', now, validity);
    const claims = readQdrantToken(token, 'k');
    assert.deepEqual(claims, {
      exp: Math.floor(window.expiresAt / 1000),
      access: [{ collection: 'knowledge-acme', access: 'r' }],
    });
    assert.ok(window.issuedAt <= now.getTime() && now.getTime() < window.renewAt);
    assert.equal(window.expiresAt - window.issuedAt, validity);
  });

  it('reads only tokens signed with the key, untouched, HS256', () => {
    const { token } = tenantQdrantToken('k', 'acme', 'knowledge', at('2026-11-29T10:00:00Z'), validity);
    assert.equal(readQdrantToken(token, 'other key'), undefined);
    const [header, , signature] = token.split('.');
    const widened = Buffer.from(JSON.stringify({ exp: 9e9, access: 'm' })).toString('base64url');
    assert.equal(readQdrantToken(`${header}.${widened}.${signature}`, 'k'), undefined);
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    assert.equal(readQdrantToken(`${none}.${token.split('.')[1]}.`, 'k'), undefined);
    assert.equal(readQdrantToken('not-a-jwt', 'k'), undefined);
  });

  it('mints the same token all through a window, and renews it with a third of its validity left', () => {
    const start = at('2026-11-29T10:00:00Z');
    const first = tenantQdrantToken('k', 'acme', 'knowledge', start, validity);
    let renewedAt: number | undefined;
    for (let t = start.getTime(); t < start.getTime() + validity; t += hour) {
      const again = tenantQdrantToken('k', 'acme', 'knowledge', new Date(t), validity);
      const left = again.window.expiresAt - t;
      assert.ok(left > validity / 3 - 1000 && left <= validity, `a third or more is left at ${t}`);
      if (again.token !== first.token && renewedAt === undefined) renewedAt = t;
    }
    assert.ok(renewedAt !== undefined, 'renewed within one validity');
    const left = first.window.expiresAt - first.window.renewAt;
    assert.ok(
      Math.abs(left - validity / 3) <= 1000,
      `renewed with ${left / hour}h of ${validity / hour}h left`,
    );
    assert.ok(renewedAt >= first.window.renewAt && renewedAt < first.window.renewAt + hour);
  });

  it('renews at once when the key or the collection changes', () => {
    const now = at('2026-11-29T10:00:00Z');
    const token = (key: string, collection: string) =>
      tenantQdrantToken(key, 'acme', collection, now, validity).token;
    assert.equal(token('k', 'knowledge'), token('k', 'knowledge'));
    assert.notEqual(token('k2', 'knowledge'), token('k', 'knowledge'));
    assert.notEqual(token('k', 'knowledge-acme'), token('k', 'knowledge'));
  });

  it('spreads renewals over tenants', () => {
    const now = at('2026-11-29T10:00:00Z');
    const renewals = new Set(
      ['acme', 'globex', 'initech', 'umbrella', 'hooli'].map((t) => tokenWindow(t, now, validity).renewAt),
    );
    assert.ok(renewals.size >= 4, `${renewals.size} distinct renewal times for 5 tenants`);
  });
});

describe('the Secret of the pods', () => {
  const plan = { name: 'acme', tier: 'pro' as const, namespace: 'agentplane-pool-pro' };
  const owner = { apiVersion: 'agentplane.io/v1alpha1', kind: 'Tenant', name: 'acme', uid: 'u' };
  const access = { apiKey: 'platform-key', tokenValidityMs: validity };

  it('holds the token as QDRANT_API_KEY in the tenant home, owned and labelled, never the key', () => {
    const now = at('2026-11-29T10:00:00Z');
    const { secret, renewAt } = desiredQdrantSecret(plan, owner, 'knowledge', access, now);
    assert.equal(secret.metadata.name, 'tenant-acme-qdrant');
    assert.equal(secret.metadata.namespace, 'agentplane-pool-pro');
    assert.deepEqual(secret.metadata.ownerReferences, [owner]);
    assert.equal(secret.metadata.labels?.['agentplane.io/tenant'], 'acme');
    const data = secret.data as Record<string, string>;
    assert.deepEqual(Object.keys(data), ['QDRANT_API_KEY']);
    const token = Buffer.from(data.QDRANT_API_KEY ?? '', 'base64').toString();
    assert.equal(token, tenantQdrantToken('platform-key', 'acme', 'knowledge', now, validity).token);
    assert.ok(!JSON.stringify(secret).includes('platform-key'));
    assert.deepEqual(claimsOf(token).access, [{ collection: 'knowledge', access: 'r' }]);
    assert.ok(renewAt > now.getTime());
  });

  it('is applied and due again at renewal; a failed write is retried', async () => {
    const now = at('2026-11-29T10:00:00Z');
    const applied: string[] = [];
    const failures: Error[] = [];
    const ok = await qdrantTokenStep(
      plan,
      owner,
      'knowledge',
      access,
      now,
      async (o) => void applied.push(o.metadata.name),
      failures,
    );
    const { renewAt } = desiredQdrantSecret(plan, owner, 'knowledge', access, now);
    assert.deepEqual(applied, ['tenant-acme-qdrant']);
    assert.equal(ok.renewInMs, renewAt - now.getTime());
    const broken = await qdrantTokenStep(
      plan,
      owner,
      'knowledge',
      access,
      now,
      async () => {
        throw new Error('forbidden');
      },
      failures,
    );
    assert.equal(broken.failed?.reason, 'ApplyFailed');
    assert.equal(failures.length, 1);
    // Years of validity: the requeue stays within what a timer can wait.
    const long = await qdrantTokenStep(
      plan,
      owner,
      'knowledge',
      { ...access, tokenValidityMs: 3 * 8760 * hour },
      now,
      async () => undefined,
      [],
    );
    assert.ok((long.renewInMs ?? 0) <= 2_147_483_647);
  });
});
