import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@agentplane/shared';
import { loadOperatorConfig } from './config.ts';

describe('operator config', () => {
  it('runs without Vault, and with Vault only when its token comes from a file', () => {
    assert.equal(loadOperatorConfig({}).vaultAddr, undefined);
    assert.throws(
      () => loadOperatorConfig({ VAULT_ADDR: 'http://127.0.0.1:8200' }),
      (error: unknown) => error instanceof ConfigError && /VAULT_TOKEN_FILE is required/.test(error.message),
    );
    const config = loadOperatorConfig({
      VAULT_ADDR: 'http://127.0.0.1:8200',
      VAULT_TOKEN_FILE: '/run/token',
    });
    assert.equal(config.vaultTokenFile, '/run/token');
  });

  it("gives tenants' Qdrant tokens 720h unless told, and refuses a validity too short to renew", () => {
    assert.equal(loadOperatorConfig({}).qdrantTokenTtl, 720 * 3_600_000);
    assert.equal(loadOperatorConfig({ OPERATOR_QDRANT_TOKEN_TTL: '24h' }).qdrantTokenTtl, 86_400_000);
    assert.throws(
      () => loadOperatorConfig({ OPERATOR_QDRANT_TOKEN_TTL: '30s' }),
      (error: unknown) =>
        error instanceof ConfigError && /OPERATOR_QDRANT_TOKEN_TTL must be at least/.test(error.message),
    );
  });

  it('names every bad variable at once', () => {
    assert.throws(
      () => loadOperatorConfig({ OPERATOR_CONCURRENCY: 'many', OPERATOR_RESYNC: 'often' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.violations.some((v) => v.startsWith('OPERATOR_CONCURRENCY')) &&
        error.violations.some((v) => v.startsWith('OPERATOR_RESYNC')),
    );
  });
});
