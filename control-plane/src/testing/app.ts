// Builds the app for tests against a test database, with fakes only where a suite does not cross
// that boundary (the Kafka suite passes the real bus).
import { randomBytes } from 'node:crypto';
import { type AppDependencies, buildApp, type RateLimits } from '../app.ts';
import { createOrm } from '../db/orm.ts';
import { createFlagEvaluator } from '../flags/evaluator.ts';
import { type ResourceWriter, removalOf } from '../kube/resource-writer.ts';
import type { InboundBus, InboundRecord } from '../messaging/inbound-bus.ts';
import type { ConversationHub } from '../modules/conversations/conversation-hub.ts';
import type { ChannelSecrets } from '../vault/channel-secrets.ts';
import type { OutboundWebhookSecrets } from '../vault/outbound-webhook-secrets.ts';
import type { TestDatabase } from './database.ts';

/** A bus that keeps what was published: for suites that do not test Kafka itself. */
export function recordingBus(): InboundBus & { records: InboundRecord[] } {
  const records: InboundRecord[] = [];
  return { records, publish: async (record) => void records.push(record), close: async () => {} };
}

export interface WriterCall {
  op: 'applyTenant' | 'applyAgentInstance' | 'deleteAgentInstance' | 'deleteTenant';
  args: unknown[];
}

export function recordingWriter(): ResourceWriter & { calls: WriterCall[] } {
  const calls: WriterCall[] = [];
  const record =
    (op: WriterCall['op']) =>
    async (...args: unknown[]) =>
      void calls.push({ op, args });
  return {
    calls,
    applyTenant: record('applyTenant'),
    applyAgentInstance: record('applyAgentInstance'),
    deleteAgentInstance: record('deleteAgentInstance'),
    // As a cluster without an operator: the Tenant is gone at once.
    deleteTenant: async (...args) => {
      calls.push({ op: 'deleteTenant', args });
      return removalOf(undefined, true);
    },
    tenantRemoval: async () => removalOf(undefined, false),
  };
}

/** Channel secrets kept in memory, keyed `tenant/channel`: for suites that do not test Vault itself. */
export function staticChannelSecrets(records: Record<string, Record<string, unknown>>): ChannelSecrets {
  return { read: async (tenant, channel) => records[`${tenant}/${channel}`] };
}

/** Rate limits no load test reaches: suites that measure or stress the API, not its limiter. */
const unlimited = 1_000_000_000;
export const noRateLimits: RateLimits = {
  basic: unlimited,
  pro: unlimited,
  enterprise: unlimited,
  'platform-admin': unlimited,
  anonymous: unlimited,
};

export interface TestAppOptions {
  bus?: InboundBus;
  writer?: ResourceWriter;
  rateLimits?: RateLimits;
  bodyLimitBytes?: number;
  channelSecrets?: ChannelSecrets;
  hub?: ConversationHub;
  eventStreams?: AppDependencies['eventStreams'];
  pii?: AppDependencies['pii'];
  outboundWebhookSecrets?: OutboundWebhookSecrets;
  /** The knowledge index (e.g. over the Qdrant stand-in); unset: knowledge routes answer 503. */
  knowledge?: AppDependencies['knowledge'];
  knowledgeMaxDocumentBytes?: number;
}

export async function buildTestApp(db: TestDatabase, options: TestAppOptions = {}) {
  const platformAdminToken = randomBytes(24).toString('hex');
  const orm = await createOrm({ clientUrl: db.clientUrl, dbName: db.dbName });
  const app = await buildApp(
    {
      orm,
      bus: options.bus ?? recordingBus(),
      writer: options.writer ?? recordingWriter(),
      flags: await createFlagEvaluator(),
      platformAdminToken,
      ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
      ...(options.channelSecrets ? { channelSecrets: options.channelSecrets } : {}),
      ...(options.hub ? { hub: options.hub } : {}),
      ...(options.eventStreams ? { eventStreams: options.eventStreams } : {}),
      ...(options.pii ? { pii: options.pii } : {}),
      ...(options.outboundWebhookSecrets ? { outboundWebhookSecrets: options.outboundWebhookSecrets } : {}),
      ...(options.knowledge ? { knowledge: options.knowledge } : {}),
      ...(options.knowledgeMaxDocumentBytes
        ? { knowledgeMaxDocumentBytes: options.knowledgeMaxDocumentBytes }
        : {}),
    },
    options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {},
  );
  const admin = { authorization: `Bearer ${platformAdminToken}` };
  return { app, admin, platformAdminToken, orm };
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

/** Creates a tenant and an owner key through the API, as an SRE would. */
export async function onboardTenant(
  { app, admin }: TestApp,
  name: string,
  tier: 'basic' | 'pro' | 'enterprise' = 'pro',
) {
  const created = await app.inject({
    method: 'POST',
    url: '/v1/tenants',
    headers: admin,
    payload: { name, tier },
  });
  if (created.statusCode !== 201) throw new Error(`tenant ${name}: ${created.statusCode} ${created.body}`);
  const key = await app.inject({
    method: 'POST',
    url: `/v1/tenants/${name}/api-keys`,
    headers: admin,
    payload: { name: 'owner', role: 'owner' },
  });
  if (key.statusCode !== 201) throw new Error(`key for ${name}: ${key.statusCode} ${key.body}`);
  const { key: secret, id: keyId } = key.json() as { key: string; id: string };
  return { name, key: secret, keyId, headers: { authorization: `Bearer ${secret}` } };
}

type Owner = Pick<Awaited<ReturnType<typeof onboardTenant>>, 'name' | 'headers'>;

/** Creates an agent instance of `owner`'s tenant through the API; throws unless it is created. */
export async function createAgentInstance(
  { app }: TestApp,
  owner: Owner,
  spec: { name: string; agent: string; version: string } = {
    name: 'support',
    agent: 'customer-service',
    version: '2.1.0',
  },
): Promise<void> {
  const created = await app.inject({
    method: 'POST',
    url: `/v1/tenants/${owner.name}/agent-instances`,
    headers: owner.headers,
    payload: spec,
  });
  if (created.statusCode !== 201) throw new Error(`agent instance: ${created.statusCode} ${created.body}`);
}

/** Opens a conversation with `agentInstance` through the API and returns its id; throws unless 201. */
export async function openConversation({ app }: TestApp, owner: Owner, agentInstance = 'support') {
  const created = await app.inject({
    method: 'POST',
    url: `/v1/tenants/${owner.name}/conversations`,
    headers: owner.headers,
    payload: { agentInstance },
  });
  if (created.statusCode !== 201) throw new Error(`conversation: ${created.statusCode} ${created.body}`);
  return (created.json() as { id: string }).id;
}
