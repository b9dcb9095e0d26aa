// Two tenants with something of everything (an agent with a private prompt, a conversation with a
// message, a knowledge document, an export, a flag override, a spare API key), for the fuzzers: A's
// objects are the targets, A's `secrets` are what must never appear in an answer to anyone else.
import { startQdrantStandIn } from '@agentplane/runtime/test-support/qdrant-stand-in';
import { createHashedEmbedder, createQdrantStore } from '@agentplane/runtime/vectors';
import { knowledgeIndex } from '../knowledge/knowledge-index.ts';
import {
  buildTestApp,
  onboardTenant,
  recordingBus,
  staticChannelSecrets,
  type TestApp,
} from '../testing/app.ts';
import { createTestDatabase } from '../testing/database.ts';

/** Unlimited: the fuzzers send thousands of requests, and a 429 would hide what they test. */
const noLimits = { basic: 1e9, pro: 1e9, enterprise: 1e9, 'platform-admin': 1e9, anonymous: 1e9 };

export async function twoTenantWorld() {
  const db = await createTestDatabase();
  const qdrant = await startQdrantStandIn();
  const bus = recordingBus();
  const channel = (tenant: string) => ({
    kind: 'meta',
    secret: `${tenant}-app-secret`,
    agentInstance: 'support',
    verifyToken: `${tenant}-verify-token`,
  });
  const t: TestApp = await buildTestApp(db, {
    bus,
    rateLimits: noLimits,
    knowledge: knowledgeIndex(
      createQdrantStore({ url: qdrant.url, collection: 'agentplane_knowledge' }),
      createHashedEmbedder(),
    ),
    channelSecrets: staticChannelSecrets({ 'acme/meta': channel('acme'), 'globex/meta': channel('globex') }),
  });
  const acme = await onboardTenant(t, 'acme', 'enterprise');
  const globex = await onboardTenant(t, 'globex', 'enterprise');
  const call = async (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: object,
    headers = acme.headers,
  ) => {
    const res = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const secrets = {
    message: 'the secret plans of ACME: merge with Initech in March',
    prompt: 'ACME internal prompt: never mention the merger',
    knowledge: 'ACME price floor is 4711 dollars per seat',
    email: 'ceo-private@acme.example',
  };
  const instance = await call('POST', '/v1/tenants/acme/agent-instances', {
    name: 'support',
    agent: 'sales',
    version: '1.0.0',
    prompt: { system: secrets.prompt },
  });
  const conversation = await call('POST', '/v1/tenants/acme/conversations', { agentInstance: 'support' });
  await call('POST', `/v1/tenants/acme/conversations/${conversation.id}/messages`, {
    body: secrets.message,
    sender: { name: 'Bill Lumbergh', email: secrets.email },
  });
  const document = await call('POST', '/v1/tenants/acme/knowledge', {
    title: 'Pricing',
    content: secrets.knowledge,
  });
  const exported = await call('POST', '/v1/tenants/acme/exports');
  // A flag value only A has: B evaluating it over OFREP would be a leak.
  await call('PUT', '/v1/tenants/acme/flags/max-agent-instances', { value: 4711 }, t.admin);
  const spare = await call('POST', '/v1/tenants/acme/api-keys', { name: 'spare', role: 'member' });

  return {
    t,
    bus,
    acme,
    globex,
    /** A's object ids by path parameter name. */
    fixtures: {
      t: 'acme',
      tenant: 'acme',
      c: conversation.id as string,
      name: 'support',
      key: 'custom-prompts',
      keyId: spare.id as string,
      documentId: document.id as string,
      exportId: exported.id as string,
      channel: 'meta',
    } as Record<string, string>,
    /** What only A may ever see. */
    secrets: [
      ...Object.values(secrets),
      instance.id as string,
      acme.key.slice(0, 20),
      spare.key.slice(0, 20),
    ],
    async close() {
      await t.app.close();
      await db.drop();
      await qdrant.close();
    },
  };
}

export type TwoTenantWorld = Awaited<ReturnType<typeof twoTenantWorld>>;
