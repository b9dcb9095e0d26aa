// The KafkaPrincipalReady step, when the cluster's Kafka runs SASL: each tenant gets its own SCRAM
// principal `agentplane-tenant-<t>`, whose password lives in Vault at `<tenant path>/kafka`, with
// prefixed ACLs on its topics and groups (`agentplane.<t>.`) and the tier's byte-rate quotas. Its
// login reaches the tenant's home as the Secret `tenant-<t>-kafka`, which agent pods read as
// KAFKA_SASL_* variables. Every part is read before it is written: an unchanged tenant costs Vault
// one read and Kafka three describes.
import { randomBytes } from 'node:crypto';
import { tiers } from '@agentplane/crds';
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { AclEntry } from 'kafkajs';
import { tenantAcls, toKafkajsAcl } from '../../messaging/kafka-admin.ts';
import type { KafkaSecurityAdmin } from '../../messaging/kafka-security.ts';
import type { ScramMechanism } from '../../messaging/kafka-wire.ts';
import type { KvSecret } from '../../vault/tenant-vault.ts';
import type { Desired } from './desired.ts';
import { type TenantPlan, tenantLabels } from './plan.ts';
import type { StepOutcome } from './status.ts';

/** Where the tenant's Kafka login is kept: a KV v2 secret (username, password, mechanism). */
export interface KafkaCredentialStore {
  read(path: string): Promise<KvSecret | undefined>;
  /** Writes a new version; returns its number. */
  write(path: string, data: Record<string, string>): Promise<number>;
  /** Destroys every version. Idempotent. */
  destroy(path: string): Promise<void>;
}

export interface KafkaPrincipalSettings {
  security: KafkaSecurityAdmin;
  credentials: KafkaCredentialStore;
  mechanism: ScramMechanism;
}

/** The SCRAM user name; `tenantPrincipal` (kafka-admin.ts) is the same as `User:<name>`. */
export const kafkaPrincipal = (tenant: string) => `agentplane-tenant-${tenant}`;
export const kafkaSecretName = (tenant: string) => `tenant-${tenant}-kafka`;
export const kafkaCredentialPath = (tenantPath: string) => `${tenantPath}/kafka`;

/** The prefixed bindings of the tenant's principal: its topics (read, write, describe) and groups. */
export function principalAcls(tenant: string): AclEntry[] {
  return tenantAcls(tenant).map(toKafkajsAcl);
}

export function principalQuotas(tier: TenantPlan['tier']): Record<string, number> {
  const t = tiers[tier];
  return { producer_byte_rate: t.kafkaProducerByteRate, consumer_byte_rate: t.kafkaConsumerByteRate };
}

const aclKey = (a: AclEntry) =>
  [
    a.resourceType,
    a.resourceName,
    a.resourcePatternType,
    a.principal,
    a.host,
    a.operation,
    a.permissionType,
  ].join('|');

export interface KafkaPrincipalStep {
  outcome: StepOutcome;
  /** The Secret carrying the login into the tenant's home (absent when the step failed before it). */
  secret?: Desired;
}

/** The Vault version whose password each tenant's SCRAM credential was last set from (this process). */
export type AppliedCredentials = Map<string, number>;

/**
 * Makes the tenant's principal, credential, ACLs and quotas exist as the tier says. Idempotent:
 * the SCRAM credential is set only when the Vault secret is new, rotated, or not yet applied by this
 * process. Kafka or Vault trouble is reported as KafkaUnavailable / VaultUnavailable (never thrown).
 */
export async function ensureKafkaPrincipal(
  plan: TenantPlan,
  tenantPath: string,
  owner: V1OwnerReference,
  settings: KafkaPrincipalSettings,
  applied: AppliedCredentials,
): Promise<KafkaPrincipalStep> {
  const username = kafkaPrincipal(plan.name);
  const path = kafkaCredentialPath(tenantPath);
  let login: KvSecret;
  try {
    login = await readOrCreateLogin(settings, path, username);
  } catch (error) {
    return {
      outcome: failed('VaultUnavailable', `cannot read or write ${path} in Vault: ${message(error)}`),
    };
  }
  try {
    const { security } = settings;
    if (applied.get(plan.name) !== login.version) {
      await security.upsertScramUser(username, settings.mechanism, login.data.password as string);
      applied.set(plan.name, login.version);
    }
    const present = new Set((await security.aclsOf(`User:${username}`)).map(aclKey));
    const missing = principalAcls(plan.name).filter((acl) => !present.has(aclKey(acl)));
    await security.createAcls(missing);
    const quotas = principalQuotas(plan.tier);
    const current = await security.describeQuotas({ user: username });
    if (Object.entries(quotas).some(([key, value]) => current[key] !== value))
      await security.alterQuotas([{ entity: { user: username }, values: quotas }]);
    return {
      outcome: {
        type: 'KafkaPrincipalReady',
        status: 'True',
        reason: 'PrincipalReady',
        message: `User:${username} may use topics and groups prefixed agentplane.${plan.name}.; produce ${quotas.producer_byte_rate} B/s, fetch ${quotas.consumer_byte_rate} B/s; login in Secret ${kafkaSecretName(plan.name)}`,
      },
      secret: desiredKafkaSecret(plan, owner, login),
    };
  } catch (error) {
    applied.delete(plan.name);
    return { outcome: failed('KafkaUnavailable', message(error)) };
  }
}

/** Removes the tenant's ACLs, SCRAM credential, quotas and Vault login. Idempotent; throws on failure. */
export async function removeKafkaPrincipal(
  tenant: string,
  tenantPath: string,
  settings: KafkaPrincipalSettings,
  applied: AppliedCredentials,
): Promise<void> {
  const username = kafkaPrincipal(tenant);
  const { security } = settings;
  await security.deleteAcls(principalAcls(tenant));
  await security.deleteScramUser(username, settings.mechanism);
  await security.alterQuotas([
    { entity: { user: username }, values: { producer_byte_rate: null, consumer_byte_rate: null } },
  ]);
  await settings.credentials.destroy(kafkaCredentialPath(tenantPath));
  applied.delete(tenant);
}

async function readOrCreateLogin(settings: KafkaPrincipalSettings, path: string, username: string) {
  const existing = await settings.credentials.read(path);
  const valid =
    existing?.data.username === username &&
    existing.data.mechanism === settings.mechanism &&
    (existing.data.password ?? '').length > 0;
  if (valid) return existing;
  const data = { username, password: randomBytes(24).toString('base64url'), mechanism: settings.mechanism };
  return { data, version: await settings.credentials.write(path, data) };
}

function desiredKafkaSecret(plan: TenantPlan, owner: V1OwnerReference, login: KvSecret): Desired {
  const b64 = (value: string | undefined) => Buffer.from(value ?? '').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: kafkaSecretName(plan.name),
      namespace: plan.namespace,
      labels: tenantLabels(plan),
      annotations: { 'agentplane.io/vault-version': String(login.version) },
      ownerReferences: [owner],
    },
    type: 'Opaque',
    data: {
      KAFKA_SASL_MECHANISM: b64(login.data.mechanism?.toLowerCase()),
      KAFKA_SASL_USERNAME: b64(login.data.username),
      KAFKA_SASL_PASSWORD: b64(login.data.password),
    },
  };
}

const failed = (reason: string, text: string): StepOutcome => ({
  type: 'KafkaPrincipalReady',
  status: 'False',
  reason,
  message: text,
});

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What the tenant reconcile and its deletion use; keeps which credentials this process applied. */
export interface KafkaPrincipalPort {
  ensure(plan: TenantPlan, tenantPath: string, owner: V1OwnerReference): Promise<KafkaPrincipalStep>;
  remove(tenant: string, tenantPath: string): Promise<void>;
}

export function createKafkaPrincipalPort(settings: KafkaPrincipalSettings): KafkaPrincipalPort {
  const applied: AppliedCredentials = new Map();
  return {
    ensure: (plan, tenantPath, owner) => ensureKafkaPrincipal(plan, tenantPath, owner, settings, applied),
    remove: (tenant, tenantPath) => removeKafkaPrincipal(tenant, tenantPath, settings, applied),
  };
}

/**
 * The step as the reconcile runs it: writes the login Secret into the tenant's home; Kafka or Vault
 * down is pushed to `failures` (the reconcile retries with backoff), as a failed Secret write is.
 */
export async function kafkaPrincipalStep(
  port: KafkaPrincipalPort,
  plan: TenantPlan,
  tenantPath: string,
  owner: V1OwnerReference,
  apply: (object: Desired) => Promise<unknown>,
  failures: Error[],
): Promise<StepOutcome> {
  try {
    const { outcome, secret } = await port.ensure(plan, tenantPath, owner);
    if (secret) await apply(secret);
    if (outcome.status !== 'True') failures.push(new Error(outcome.message));
    return outcome;
  } catch (error) {
    failures.push(error as Error);
    return failed('ApplyFailed', message(error));
  }
}
