// The end-to-end journey, on the test bed: an SRE applies a Tenant with kubectl; the tenant gets an
// agent through the API whose runtime runs from the operator's Deployment spec, and knowledge in
// the vector store; end users write through the API and a signed channel webhook; replies, leads
// and usage show through the API and the SSE stream, and the month's invoice adds up; one end user
// is erased from every store; the tenant is suspended (agents at zero, messages refused), then
// deleted, and nothing of it is left in Kubernetes, Kafka, Vault, PostgreSQL or the vector store.
//
// The control plane runs as its own process (control-plane/src/server.ts, as `npm run control-plane`
// and the local platform run it): the journey then crosses the same boundaries production does —
// migrations on start, its Kafka events consumer, Vault for channel secrets and PII keys, its
// Kubernetes writer — and nothing is wired differently for the test. The vector store is the Qdrant
// STAND-IN (no Qdrant can run here), in its own process, shared by control plane, runtime and operator,
// with authentication on as production runs Qdrant (an API key, jwt_rbac): the control plane indexes
// and the operator manages partitions with the key, and the runtime reads with the read-only token of
// its tenant that the operator minted into a Secret, the only Qdrant credential its Deployment gives.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { topicNames, vaultNames } from '@agentplane/shared';
import { MikroORM } from '@mikro-orm/postgresql';
import { Kafka, logLevel } from 'kafkajs';
import vault from 'node-vault';
import { openSse, type SseClient } from '../../control-plane/src/testing/sse-client.ts';
import { testbedEnv, uniqueName } from '../helpers/env.ts';
import { eventually } from '../helpers/eventually.ts';
import { kubectl, kubectlOk } from '../helpers/kubectl.ts';
import { operatorSuite } from '../helpers/operator.ts';
import { type PartProcess, startRuntimeFromDeployment } from '../helpers/runtime-process.ts';
import {
  apiClient,
  type ControlPlane,
  knowledgeCollection,
  qdrantGrants,
  startControlPlane,
  startVectorStore,
  watchResults,
} from '../platform/parts.ts';

const tenant = uniqueName('journey');
const namespace = `tenant-${tenant}`;
const agent = 'support';
const channel = 'web-chat';
const peter = { name: 'Peter Gibbons', email: 'peter@initech.example' };
const ann = { name: 'Ann Smith', email: 'ann@umbrella.example' };

// biome-ignore lint/suspicious/noExplicitAny: wire-format JSON from kubectl
const getJson = async (args: string[]): Promise<any> =>
  JSON.parse(await kubectlOk(['get', ...args, '-o', 'json']));

/** The journey's steps with their durations, printed at the end. */
const timeline: Array<{ step: string; ms: number }> = [];
const startedAt = Date.now();
let stepStart = Date.now();
const done = (step: string) => {
  timeline.push({ step, ms: Date.now() - stepStart });
  stepStart = Date.now();
};

describe('the journey: kubectl apply → agents, knowledge, messages, billing, erasure, suspension, deletion', () => {
  const operatorEnv: Record<string, string> = {};
  const parts: PartProcess[] = [];
  let vectorsUrl = '';
  /** The vector store's API key: the control plane's and the operator's, never a runtime's. */
  let vectorsKey = '';
  const suite = operatorSuite(operatorEnv, {
    // The operator gives runtimes and dedicated tenants the vector store: it must run first.
    beforeStart: async () => {
      const vectors = await startVectorStore();
      parts.push(vectors.part);
      vectorsUrl = vectors.url;
      vectorsKey = vectors.apiKey;
      Object.assign(operatorEnv, {
        OPERATOR_QDRANT_URL: vectors.url,
        OPERATOR_QDRANT_API_KEY: vectors.apiKey,
        OPERATOR_QDRANT_COLLECTION: knowledgeCollection,
      });
    },
  });
  let cp: ControlPlane;
  let api: ReturnType<typeof apiClient>;
  let db: MikroORM;
  let key = '';
  let runtime: PartProcess | undefined;
  let collection = '';
  /** The runtime's Qdrant credential, as its Deployment gives it. */
  let runtimeToken = '';
  const kafka = new Kafka({ brokers: testbedEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
  const root = vault({ endpoint: testbedEnv('VAULT_ADDR'), token: testbedEnv('VAULT_TOKEN') });
  const channelSecret = randomBytes(24).toString('hex');
  const conversations = { api: '', webhook: '' };
  let stream: SseClient | undefined;
  let published: Awaited<ReturnType<typeof watchResults>> | undefined;

  before(async () => {
    cp = await startControlPlane({
      QDRANT_URL: vectorsUrl,
      QDRANT_API_KEY: vectorsKey,
      QDRANT_COLLECTION: knowledgeCollection,
      // The events consumer finds a new tenant's topic at its next refresh (30 s by default).
      CONTROL_PLANE_EVENTS_TOPIC_REFRESH: '1s',
    });
    parts.push(cp.part);
    api = apiClient(cp.url);
    // As the superuser: row-level security does not hide a row that should not be there.
    db = await MikroORM.init({
      clientUrl: testbedEnv('DATABASE_URL'),
      entities: [],
      discovery: { warnWhenNoEntities: false },
    });
    done('start: Qdrant stand-in, operator, control plane');
  });
  after(async () => {
    stream?.close();
    await published?.close();
    await runtime?.stop();
    for (const part of parts.reverse()) await part.stop();
    await db?.close();
    await kubectl(['delete', 'tenant', tenant, '--ignore-not-found', '--wait=false']);
    console.log(
      `journey of ${tenant} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s:\n${timeline
        .map(({ step, ms }) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${step}`)
        .join('\n')}`,
    );
  });

  const owner = () => key;
  const admin = () => cp.adminToken;
  // biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
  const rows = (query: string, params: unknown[] = []) => db.em.getConnection().execute<any[]>(query, params);

  it('kubectl apply of a Tenant makes it Ready; the control plane records it and issues an owner key', async () => {
    const manifest = {
      apiVersion: 'agentplane.io/v1alpha1',
      kind: 'Tenant',
      metadata: { name: tenant },
      spec: {
        displayName: 'Initech Journey',
        tier: 'pro',
        isolation: 'dedicated',
        owners: ['cio@initech.example'],
      },
    };
    await kubectlOk(['apply', '-f', '-'], { stdin: JSON.stringify(manifest) });
    await kubectlOk(['wait', '--for=condition=Ready', '--timeout=90s', `tenant/${tenant}`]);
    // As `platformctl deploy` does: a tenant the API does not know yet is recorded there.
    const known = await api.request('GET', `/v1/tenants/${tenant}`, admin());
    assert.equal(known.status, 404, 'kubectl alone does not tell the control plane');
    await api.call('POST', '/v1/tenants', admin(), {
      name: tenant,
      tier: 'pro',
      isolation: 'dedicated',
      displayName: 'Initech Journey',
    });
    key = (
      await api.call('POST', `/v1/tenants/${tenant}/api-keys`, admin(), { name: 'journey', role: 'owner' })
    ).key;
    const view = await api.call('GET', `/v1/tenants/${tenant}`, owner());
    assert.equal(view.tier, 'pro');
    assert.equal(view.isolation, 'dedicated');
    done('Tenant applied with kubectl, Ready, recorded in the API, owner key');
  });

  it('deploys an agent through the API and runs it from the Deployment the operator wrote', async () => {
    await api.call('POST', `/v1/tenants/${tenant}/agent-instances`, owner(), {
      name: agent,
      // The sales agent qualifies leads as well as answering (customer-service only answers).
      agent: 'sales',
      version: '2.1.0',
      knowledge: { enabled: true, topK: 3 },
    });
    await kubectlOk([
      'wait',
      '--for=condition=Ready',
      '--timeout=90s',
      `agentinstance/${agent}`,
      '-n',
      namespace,
    ]);
    const deployment = await getJson(['deployment', `agent-${agent}`, '-n', namespace]);
    const env = Object.fromEntries(
      deployment.spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [
        e.name,
        e.value,
      ]),
    );
    assert.equal(env.QDRANT_URL, vectorsUrl, 'the operator gives the runtime the vector store');
    collection = env.QDRANT_COLLECTION;
    assert.equal(collection, `${knowledgeCollection}-${tenant}`, "a dedicated tenant's own collection");
    // Its Qdrant credential comes from the tenant's Secret alone, never the platform's key.
    const container = deployment.spec.template.spec.containers[0];
    assert.deepEqual(container.envFrom, [{ secretRef: { name: `tenant-${tenant}-qdrant` } }]);
    assert.equal(env.QDRANT_API_KEY, undefined, 'no credential written into the Deployment itself');
    assert.ok(!JSON.stringify(deployment).includes(vectorsKey), 'the platform key is not in the Deployment');
    const secret = await getJson(['secret', `tenant-${tenant}-qdrant`, '-n', namespace]);
    const token = Buffer.from(secret.data.QDRANT_API_KEY, 'base64').toString();
    assert.deepEqual(
      qdrantGrants(token)?.access,
      [{ collection, access: 'r' }],
      'read on its collection only',
    );
    const started = await startRuntimeFromDeployment({
      namespace,
      agentInstance: agent,
      cluster: {
        KAFKA_BROKERS: testbedEnv('KAFKA_BROKERS'),
        VAULT_ADDR: testbedEnv('VAULT_ADDR'),
        VAULT_TOKEN: testbedEnv('VAULT_TOKEN'),
      },
    });
    runtime = started;
    runtimeToken = started.launch.env.QDRANT_API_KEY ?? '';
    assert.equal(runtimeToken, token, "the runtime reads with its tenant's token from the Secret");
    assert.notEqual(runtimeToken, vectorsKey);
    done("AgentInstance through the API, Ready; runtime started from its Deployment with its tenant's token");
  });

  /** A request to the vector store with `key` (the platform's by default); the raw answer. */
  const qdrant = (method: string, path: string, body?: unknown, key = vectorsKey) =>
    fetch(`${vectorsUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { 'api-key': key } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const standIn = async (path: string, body: unknown) => {
    const response = await qdrant('POST', `/collections/${collection}/points/${path}`, body);
    // A collection that does not exist answers 404 without a result.
    return (await response.json()) as {
      result?: { points?: Array<{ id: string | number; payload: Record<string, string> }> };
    };
  };
  const pointsOf = async (who: string) =>
    (
      await standIn('scroll', {
        filter: { must: [{ key: 'tenant', match: { value: who } }] },
        limit: 1000,
        with_payload: true,
      })
    ).result?.points ?? [];

  it('indexes knowledge uploaded through the API into the vector store', async () => {
    const documents = [
      {
        title: 'Initech handbook',
        content:
          '# Plans and pricing\n\n## The Pro plan\n\nThe Pro plan costs $499 a month for teams of up to 50 people and includes 5,000 conversations. Ask sales for a quote; it comes within one business day.\n',
      },
      {
        title: 'Account notes',
        content: `# Accounts\n\nPeter Gibbons (${peter.email}) manages the TPS reports at Initech and asked about the Pro plan.\n`,
      },
    ];
    for (const document of documents) {
      const { id } = await api.call('POST', `/v1/tenants/${tenant}/knowledge`, owner(), document);
      await eventually(
        async () => {
          const view = await api.call('GET', `/v1/tenants/${tenant}/knowledge/${id}`, owner());
          if (view.status === 'failed') throw new Error(`indexing failed: ${view.error}`);
          return view.status === 'ready';
        },
        { what: `document ${document.title} to be ready`, timeoutMs: 30_000, intervalMs: 250 },
      );
    }
    const points = await pointsOf(tenant);
    assert.ok(points.length >= 2, `the tenant's chunks are in its collection (${points.length})`);
    assert.ok(points.some((p) => p.payload.text?.includes(peter.email)));
    done('2 knowledge documents uploaded and indexed');
  });

  it('answers messages from the API and from a signed channel webhook; results show in the API and the SSE stream', async () => {
    await root.write(`secret/data/${vaultNames.defaultPath(tenant)}/channels/${channel}`, {
      data: { kind: 'hmac', secret: channelSecret, agentInstance: agent },
    });
    conversations.api = (
      await api.call('POST', `/v1/tenants/${tenant}/conversations`, owner(), { agentInstance: agent })
    ).id;
    stream = await openSse(`${cp.url}/v1/tenants/${tenant}/conversations/${conversations.api}/events`, {
      authorization: `Bearer ${owner()}`,
    });
    assert.equal(stream.status, 200);
    // The API shows a result without its sources; the runtime's result event carries them.
    published = await watchResults(testbedEnv('KAFKA_BROKERS').split(','), tenant);
    const sent = await api.call(
      'POST',
      `/v1/tenants/${tenant}/conversations/${conversations.api}/messages`,
      owner(),
      {
        body: 'Hi, we are 40 people at Initech and want a quote for the Pro plan. Reach me at peter@initech.example.',
        sender: peter,
      },
    );

    const delivery = JSON.stringify({
      id: 'wamid-1',
      conversation: 'thread-ann',
      body: 'Hello, Umbrella needs pricing for 200 seats on the Pro plan, please call me. ann@umbrella.example',
      sender: ann,
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', channelSecret).update(`${timestamp}.${delivery}`).digest('hex');
    const unsigned = await fetch(`${cp.url}/v1/webhooks/${tenant}/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: delivery,
    });
    assert.equal(unsigned.status, 401, 'an unsigned delivery is refused');
    const webhook = await fetch(`${cp.url}/v1/webhooks/${tenant}/${channel}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-agentplane-timestamp': timestamp,
        'x-agentplane-signature': `sha256=${signature}`,
      },
      body: delivery,
    });
    assert.equal(webhook.status, 202, await webhook.clone().text());
    const accepted = ((await webhook.json()) as { accepted: Array<{ conversationId: string }> }).accepted;
    conversations.webhook = accepted[0]?.conversationId ?? '';

    for (const c of [conversations.api, conversations.webhook]) {
      const view = await eventually(
        async () => {
          const shown = await api.call('GET', `/v1/tenants/${tenant}/conversations/${c}`, owner());
          return shown.results.length > 0 && shown;
        },
        { what: `the reply in conversation ${c}`, timeoutMs: 60_000, intervalMs: 500 },
      );
      const result = view.results[0];
      assert.equal(result.intent, 'sales');
      assert.match(result.reply ?? '', /\S{3}.{20,}/, 'a reply was made');
      assert.ok(result.lead, 'a lead was qualified');
      assert.deepEqual(
        view.messages.map((m: { author: string }) => m.author),
        ['end-user', 'agent'],
      );
      if (c === conversations.api) {
        assert.equal(result.messageId, sent.id);
        // The fallback reply quotes the best chunk: only the uploaded documents hold these words.
        assert.match(
          result.reply,
          /This may help: [\s\S]*(The Pro plan costs \$499|asked about the Pro plan)/,
          'the reply used the knowledge',
        );
      }
    }
    // Retrieval succeeded with the runtime's only credential, its tenant's read-only token.
    const { sources } = await published.result(sent.id);
    await published.close();
    published = undefined;
    assert.ok(sources.length > 0, 'the reply has sources from the knowledge');
    const ids = new Set((await pointsOf(tenant)).map((p) => p.payload.doc_id));
    assert.ok(
      sources.every((s) => ids.has(s.id)),
      `the sources ${JSON.stringify(sources)} are chunks of the tenant's collection (${[...ids].join(', ')})`,
    );
    const live = await eventually(() => stream?.events()[0], {
      what: 'the result on the SSE stream',
      timeoutMs: 15_000,
    });
    assert.equal(live.data.messageId, sent.id);
    assert.equal(
      live.data.reply,
      (await api.call('GET', `/v1/tenants/${tenant}/conversations/${conversations.api}`, owner())).results[0]
        .reply,
    );

    const leads = (await api.call('GET', `/v1/tenants/${tenant}/leads`, owner())).items;
    assert.deepEqual(leads.map((l: { email: string }) => l.email).sort(), [ann.email, peter.email]);
    const usage = await api.call('GET', `/v1/tenants/${tenant}/usage`, owner());
    assert.equal(usage.conversations, 2);
    assert.equal(usage.messages, 2);
    done('2 messages (API + signed webhook) answered; results, SSE, 2 leads, usage');
  });

  it("the runtime's token reads its tenant's collection and nothing else; writes are refused", async () => {
    // Another tenant's knowledge, indexed with the platform key as the control plane does.
    const neighbour = `${knowledgeCollection}-${tenant}-neighbour`;
    const created = await qdrant('PUT', `/collections/${neighbour}`, {
      vectors: { size: 256, distance: 'Cosine' },
    });
    assert.equal(created.status, 200, await created.text());
    const point = {
      id: 1,
      vector: Array.from({ length: 256 }, (_, i) => (i === 0 ? 1 : 0)),
      payload: { tenant: 'neighbour', text: 'secret' },
    };
    assert.equal((await qdrant('PUT', `/collections/${neighbour}/points`, { points: [point] })).status, 200);

    const scroll = { limit: 10, with_payload: true };
    const own = await qdrant('POST', `/collections/${collection}/points/scroll`, scroll, runtimeToken);
    assert.equal(own.status, 200, 'its own collection reads');
    assert.ok(((await own.json()) as { result: { points: unknown[] } }).result.points.length > 0);
    for (const other of [neighbour, knowledgeCollection]) {
      const refused = await qdrant('POST', `/collections/${other}/points/scroll`, scroll, runtimeToken);
      assert.equal(refused.status, 403, `collection ${other} is refused: ${await refused.text()}`);
    }
    const write = await qdrant('PUT', `/collections/${collection}/points`, { points: [point] }, runtimeToken);
    assert.equal(write.status, 403, 'a write to its own collection is refused');
    assert.equal((await qdrant('POST', `/collections/${collection}/points/scroll`, scroll, '')).status, 401);
    const written = await standIn('scroll', { filter: { must: [{ has_id: [point.id] }] }, limit: 1 });
    assert.deepEqual(written.result?.points, [], 'the refused write wrote nothing');
    assert.equal((await qdrant('DELETE', `/collections/${neighbour}`)).status, 200);
    // Credentials stay out of the logs: the key of every part's, the token of the runtime's.
    for (const part of [...parts, suite.operator, ...(runtime ? [runtime] : [])])
      assert.ok(!part.output().includes(vectorsKey), 'no part logs the platform key');
    assert.ok(!runtime?.output().includes(runtimeToken), 'the runtime does not log its token');
    done("the runtime's token: own collection read, others 403, writes 403, no key 401");
  });

  it("bills the month right: the tier's price plus overage above the included conversations", async () => {
    const month = new Date().toISOString().slice(0, 7);
    const usage = await api.call('GET', `/v1/tenants/${tenant}/usage?month=${month}`, owner());
    const invoice = await api.call('GET', `/v1/tenants/${tenant}/invoice?month=${month}`, owner());
    // The tier table (ARCHITECTURE.md): pro is $499 a month with 5,000 conversations, then $0.05 each.
    const expected = 49_900 + Math.max(0, usage.conversations - 5000) * 5;
    assert.equal(invoice.tier, 'pro');
    assert.equal(invoice.byContract, false);
    assert.equal(invoice.conversations, usage.conversations);
    assert.equal(invoice.includedConversations, 5000);
    assert.equal(invoice.totalCents, expected);
    assert.equal(
      invoice.lines.reduce((sum: number, line: { amountCents: number }) => sum + line.amountCents, 0),
      expected,
      'the lines add up to the total',
    );
    done(`invoice ${month}: ${invoice.totalCents} cents for ${invoice.conversations} conversations`);
  });

  it('erases one end user from PostgreSQL, the vector store and the API, and keeps the others', async () => {
    const report = await api.call('POST', `/v1/tenants/${tenant}/erasures`, owner(), { email: peter.email });
    assert.equal(report.postgres.conversations, 1);
    assert.ok(report.vectorStore.points >= 1, 'the knowledge chunk naming them left the vector store');

    const sql = await rows(
      `select (select count(*) from conversations where tenant_id = ? and id = ?)::int as conversations,
              (select count(*) from messages where tenant_id = ? and conversation_id = ?)::int as messages,
              (select count(*) from results where tenant_id = ? and conversation_id = ?)::int as results,
              (select count(*) from leads where tenant_id = ? and conversation_id = ?)::int as leads,
              (select count(*) from knowledge_chunks where tenant_id = ? and text ilike ?)::int as chunks,
              (select count(*) from knowledge_documents where tenant_id = ? and content ilike ?)::int as documents`,
      [
        ...[1, 2, 3, 4].flatMap(() => [tenant, conversations.api]),
        ...[1, 2].flatMap(() => [tenant, `%${peter.email}%`]),
      ],
    );
    assert.deepEqual(sql[0], {
      conversations: 0,
      messages: 0,
      results: 0,
      leads: 0,
      chunks: 0,
      documents: 0,
    });
    const points = await pointsOf(tenant);
    assert.equal(points.filter((p) => JSON.stringify(p.payload).includes(peter.email)).length, 0);
    assert.ok(points.length > 0, "the tenant's other knowledge stays");

    const gone = await api.request(
      'GET',
      `/v1/tenants/${tenant}/conversations/${conversations.api}`,
      owner(),
    );
    assert.equal(gone.status, 404);
    const leads = (await api.call('GET', `/v1/tenants/${tenant}/leads`, owner())).items;
    assert.deepEqual(
      leads.map((l: { email: string }) => l.email),
      [ann.email],
      'only the other end user is left',
    );
    done('end user erased: PostgreSQL, vector store, API');
  });

  it('suspends the tenant with kubectl: agents at zero and new messages refused', async () => {
    await kubectlOk(['patch', 'tenant', tenant, '--type=merge', '-p', '{"spec":{"suspended":true}}']);
    await eventually(
      async () => (await getJson(['deployment', `agent-${agent}`, '-n', namespace])).spec.replicas === 0,
      { what: 'the Deployment at zero replicas', timeoutMs: 60_000 },
    );
    await eventually(async () => (await getJson(['tenant', tenant])).status?.phase === 'Suspended', {
      what: 'the Tenant Suspended',
      timeoutMs: 60_000,
    });
    // No kubelet here: what scaling to zero does to pods, the journey does to its runtime process.
    assert.equal(await runtime?.stop(), 0, 'the runtime stops cleanly');
    runtime = undefined;

    const refused = await eventually(
      async () => {
        const answer = await api.request(
          'POST',
          `/v1/tenants/${tenant}/conversations/${conversations.webhook}/messages`,
          owner(),
          { body: 'Are you there?' },
        );
        return answer.status !== 202 && answer;
      },
      { what: 'a message to be refused', timeoutMs: 10_000 },
    );
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'tenant_suspended');
    assert.match(refused.body.message, /suspended/);
    done('suspended with kubectl: replicas 0, messages refused (409 tenant_suspended)');
  });

  it('deletes the tenant: nothing is left in Kubernetes, Kafka, Vault, PostgreSQL or the vector store', async () => {
    const first = await api.request('DELETE', `/v1/tenants/${tenant}`, admin());
    assert.ok([200, 202].includes(first.status), JSON.stringify(first.body));
    const report = await eventually(
      async () => {
        const progress = await api.request('GET', `/v1/tenants/${tenant}/deletion`, admin());
        return progress.body?.state === 'completed' && progress.body;
      },
      { what: 'the deletion to complete', timeoutMs: 90_000, intervalMs: 1000 },
    );
    assert.equal(report.vectorStore.pointsAfter, 0);
    assert.equal(report.vault.keysDestroyed, true);

    // Kubernetes: the Tenant and its namespace (with everything in it) are gone.
    assert.notEqual((await kubectl(['get', 'tenant', tenant])).code, 0, 'the Tenant is gone');
    await eventually(async () => (await kubectl(['get', 'namespace', namespace])).code !== 0, {
      what: `namespace ${namespace} to be deleted`,
      timeoutMs: 60_000,
    });
    const labelled = await kubectlOk([
      'get',
      'deployments,configmaps,serviceaccounts,roles,rolebindings,networkpolicies,agentinstances',
      '-A',
      '-l',
      `agentplane.io/tenant=${tenant}`,
      '-o',
      'name',
    ]);
    assert.equal(labelled.trim(), '', 'no object carries the tenant label');

    // Kafka: its topics and consumer groups.
    const admin_ = kafka.admin();
    await admin_.connect();
    try {
      const prefix = topicNames.tenantPrefix(tenant);
      assert.deepEqual(
        (await admin_.listTopics()).filter((t) => t.startsWith(prefix)),
        [],
      );
      const groups = (await admin_.listGroups()).groups.map((g) => g.groupId);
      assert.deepEqual(
        groups.filter((g) => g.startsWith(prefix)),
        [],
      );
    } finally {
      await admin_.disconnect();
    }

    // Vault: the KV data, the policy, the Kubernetes-auth role and the PII transit key.
    const status = (call: Promise<unknown>) =>
      call.then(
        () => 200,
        (error: { response?: { statusCode?: number } }) => error.response?.statusCode ?? -1,
      );
    assert.equal(
      await status(root.list(`secret/metadata/${vaultNames.defaultPath(tenant)}`)),
      404,
      'KV data',
    );
    assert.equal(await status(root.getPolicy({ name: vaultNames.policy(tenant) })), 404, 'policy');
    assert.equal(await status(root.read(`auth/kubernetes/role/${vaultNames.role(tenant)}`)), 404, 'role');
    assert.equal(await status(root.read(`transit/keys/agentplane-tenant-${tenant}`)), 404, 'PII key');

    // PostgreSQL: every table with a tenant column, from the catalog (the audit trail stays by design).
    const tables = await rows(
      `select table_name from information_schema.columns
        where table_schema = 'public' and column_name = 'tenant_id' and table_name <> 'audit_events'`,
    );
    assert.ok(tables.length > 10, `the catalog lists the tenant tables (${tables.length})`);
    const left: Record<string, number> = {};
    for (const { table_name } of tables) {
      const [row] = await rows(`select count(*)::int as n from "${table_name}" where tenant_id = ?`, [
        tenant,
      ]);
      if (row.n > 0) left[table_name] = row.n;
    }
    assert.deepEqual(left, {}, 'no tenant row in any table');
    assert.deepEqual(await rows('select id from tenants where id = ?', [tenant]), []);

    // The vector store: no point of the tenant in the shared collection, and its own collection gone.
    assert.equal((await pointsOf(tenant)).length, 0);
    const own = await qdrant('GET', `/collections/${collection}/exists`).then((r) => r.json());
    assert.equal((own as { result: { exists: boolean } }).result.exists, false, 'its own collection is gone');
    done('deleted through the API: nothing left in Kubernetes, Kafka, Vault, PostgreSQL, vector store');
  });
});
