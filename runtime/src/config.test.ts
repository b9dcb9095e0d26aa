import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import type { ConfigError } from '@agentplane/shared';
import { loadConfig } from './config.ts';

const env = {
  AGENTPLANE_TENANT: 'acme',
  AGENTPLANE_AGENT_INSTANCE: 'support',
  AGENTPLANE_AGENT: 'sales',
  KAFKA_BROKERS: 'k:9092',
};

it('derives topics from the shared naming and freezes the result', () => {
  const config = loadConfig(env, []);
  assert.equal(config.topics.inbound, 'agentplane.acme.agent.support.inbound');
  assert.equal(config.topics.consumerGroup, 'agentplane.acme.agent.support');
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.settings.model));
  assert.equal(config.httpHost, '127.0.0.1');
});

it('reports every problem of env and agent file at once, with variable and example', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rt-'));
  const file = join(dir, 'agent.json');
  writeFileSync(file, JSON.stringify({ tier: 'gold', model: { temperature: 5 }, knowledge: { topK: 0 } }));
  assert.throws(
    () =>
      loadConfig({ AGENTPLANE_TENANT: 'Bad_Name', AGENTPLANE_AGENT: 'robot', AGENTPLANE_HTTP_PORT: 'x' }, [
        '--config',
        file,
      ]),
    (error: ConfigError) => {
      const text = error.violations.join('\n');
      for (const needle of [
        'AGENTPLANE_AGENT_INSTANCE',
        'AGENTPLANE_AGENT must be one of',
        'KAFKA_BROKERS',
        'AGENTPLANE_HTTP_PORT',
        'AGENTPLANE_TENANT must be a DNS label',
        'tier must be',
        'model.temperature',
        'knowledge.topK',
      ]) {
        assert.ok(text.includes(needle), `missing: ${needle}\n${text}`);
      }
      assert.match(text, /e\.g\. KAFKA_BROKERS=/);
      return true;
    },
  );
});

it('reads the operator-written agent file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rt-'));
  const file = join(dir, 'agent.json');
  writeFileSync(
    file,
    JSON.stringify({
      tier: 'pro',
      model: { name: 'gpt-4o-mini', replyModel: 'gpt-4o', temperature: 0.3 },
      prompt: { tone: 'formal' },
      knowledge: { enabled: true, topK: 5 },
      topics: {},
    }),
  );
  const config = loadConfig(env, ['--config', file]);
  assert.equal(config.settings.tier, 'pro');
  assert.equal(config.settings.model.replyModel, 'gpt-4o');
  assert.equal(config.settings.knowledge.topK, 5);
});

it('reads the Vault settings the operator passes, with the tenant defaults otherwise', () => {
  const defaults = loadConfig(env, []);
  assert.equal(defaults.vaultPath, 'tenants/acme');
  assert.equal(defaults.vaultRole, 'agentplane-tenant-acme');
  assert.equal(defaults.vaultKvMount, 'secret');
  assert.equal(defaults.vaultAuthMount, 'kubernetes');
  const given = loadConfig(
    {
      ...env,
      AGENTPLANE_VAULT_PATH: 'tenants/acme/prod',
      AGENTPLANE_VAULT_ROLE: 'acme-prod',
      VAULT_KV_MOUNT: 'kv',
      VAULT_AUTH_MOUNT: 'k8s-east',
    },
    [],
  );
  assert.deepEqual(
    [given.vaultPath, given.vaultRole, given.vaultKvMount, given.vaultAuthMount],
    ['tenants/acme/prod', 'acme-prod', 'kv', 'k8s-east'],
  );
});

it('refuses Vault paths that could name another path', () => {
  for (const [name, value] of [
    ['AGENTPLANE_VAULT_PATH', 'tenants/acme/../other'],
    ['AGENTPLANE_VAULT_PATH', '/tenants/acme'],
    ['VAULT_KV_MOUNT', 'secret/'],
    ['VAULT_AUTH_MOUNT', 'kube rnetes'],
  ] as const) {
    assert.throws(
      () => loadConfig({ ...env, [name]: value }, []),
      (error: ConfigError) => {
        assert.equal(error.violations.length, 1);
        assert.match(
          error.violations[0] ?? '',
          new RegExp(`^${name} must be a Vault path.*e\\.g\\. ${name}=`),
        );
        return true;
      },
      `${name}=${value}`,
    );
  }
});
