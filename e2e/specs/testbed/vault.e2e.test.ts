import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import vault from 'node-vault';
import { testbedEnv, uniqueName } from '../../helpers/env.ts';
import { testbedKubeConfig } from '../../helpers/kube.ts';

describe('test bed: Vault with KV v2 and the Kubernetes auth method', () => {
  const root = vault({ endpoint: testbedEnv('VAULT_ADDR'), token: testbedEnv('VAULT_TOKEN') });
  const kc = testbedKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const namespace = uniqueName('tb-vault');
  const reviewerBinding = `${namespace}-token-reviewer`;

  before(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  after(async () => {
    await rbac.deleteClusterRoleBinding({ name: reviewerBinding }).catch(() => {});
    await core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  it('writes and reads a KV v2 secret', async () => {
    const path = `secret/data/${uniqueName('tb')}/llm`;
    await root.write(path, { data: { apiKey: 'sk-test-1' } });
    const read = await root.read(path);
    assert.equal(read.data.data.apiKey, 'sk-test-1');
    assert.equal(read.data.metadata.version, 1);
  });

  it('logs a ServiceAccount in with a token from TokenRequest and scopes it by policy', async () => {
    const mount = uniqueName('k8s');
    const tenantPath = `secret/data/${mount}/tenant-a`;
    await root.write(`${tenantPath}/llm`, { data: { apiKey: 'sk-tenant-a' } });
    await root.write(`secret/data/${mount}/tenant-b/llm`, { data: { apiKey: 'sk-tenant-b' } });

    await createServiceAccount('vault-reviewer');
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: reviewerBinding },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'system:auth-delegator',
        },
        subjects: [{ kind: 'ServiceAccount', name: 'vault-reviewer', namespace }],
      },
    });
    await createServiceAccount('app');

    await root.enableAuth({ mount_point: mount, type: 'kubernetes' });
    const cluster = kc.getCurrentCluster();
    assert.ok(cluster?.caData, 'the test bed kubeconfig embeds its CA');
    await root.write(`auth/${mount}/config`, {
      kubernetes_host: testbedEnv('KUBE_API_SERVER'),
      kubernetes_ca_cert: Buffer.from(cluster.caData, 'base64').toString(),
      token_reviewer_jwt: await serviceAccountToken('vault-reviewer'),
    });
    await root.addPolicy({ name: mount, rules: `path "${tenantPath}/*" { capabilities = ["read"] }` });
    await root.write(`auth/${mount}/role/app`, {
      bound_service_account_names: ['app'],
      bound_service_account_namespaces: [namespace],
      policies: [mount],
      ttl: '5m',
    });

    const app = vault({ endpoint: testbedEnv('VAULT_ADDR') });
    const login = await app.kubernetesLogin({
      mount_point: mount,
      role: 'app',
      jwt: await serviceAccountToken('app'),
    });
    assert.deepEqual(login.auth.policies.sort(), ['default', mount].sort());
    assert.equal(login.auth.metadata.service_account_namespace, namespace);

    const asApp = vault({ endpoint: testbedEnv('VAULT_ADDR'), token: login.auth.client_token });
    assert.equal((await asApp.read(`${tenantPath}/llm`)).data.data.apiKey, 'sk-tenant-a');
    await assert.rejects(
      asApp.read(`secret/data/${mount}/tenant-b/llm`),
      (error: { response?: { statusCode?: number } }) => {
        assert.equal(error.response?.statusCode, 403);
        return true;
      },
    );

    const stranger = vault({ endpoint: testbedEnv('VAULT_ADDR') });
    await assert.rejects(
      stranger.kubernetesLogin({
        mount_point: mount,
        role: 'app',
        jwt: await serviceAccountToken('vault-reviewer'),
      }),
      /not authorized|service account name not authorized/i,
      'a token of another ServiceAccount is refused by the role',
    );
  });

  async function createServiceAccount(name: string): Promise<void> {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  }

  async function serviceAccountToken(name: string): Promise<string> {
    const request = await core.createNamespacedServiceAccountToken({
      name,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = request.status?.token;
    assert.ok(token, `TokenRequest for ${name} returned a token`);
    return token;
  }
});
