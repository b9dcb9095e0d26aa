// The SecretsReady step beyond the policy and role: the keys a tenant declared it needs must exist
// in its Vault path, and the projected ones are copied into a Kubernetes Secret in its home. Vault
// has no watch, so a tenant that declares keys is looked at again every refresh interval; the
// Secret is rewritten only when a Vault version (or the Secret itself) changed.
import {
  type ProjectedKey,
  type Tenant,
  type TenantSecrets,
  type TenantStatus,
  tenantVaultPath,
  type VaultKeyRef,
} from '@agentplane/crds';
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { KvSecret, TenantVault } from '../../vault/tenant-vault.ts';
import type { ObjectWrites } from '../actions.ts';
import type { Desired } from './desired.ts';
import { type TenantPlan, tenantLabels } from './plan.ts';
import { decideRollout } from './rollout.ts';
import type { StepOutcome } from './status.ts';

export const vaultVersionsAnnotation = 'agentplane.io/vault-versions';

/** The Kubernetes Secret holding a tenant's projected keys, in its home namespace. */
export function projectedSecretName(tenant: string): string {
  return `tenant-${tenant}-secrets`;
}

/** Every key the tenant needs: the required ones and the projected ones (which are required too). */
export function neededKeys(secrets: TenantSecrets | undefined): VaultKeyRef[] {
  return [...(secrets?.required ?? []), ...(secrets?.projected ?? [])];
}

export interface KeysReport {
  outcome: StepOutcome;
  /** `.=1,llm=3`: the version of each secret read, by its path below vaultPath (`.` is vaultPath). */
  versions: string;
  /** The Secret to write when keys are projected and all of them exist. */
  secret?: Desired;
}

const secretPath = (base: string, ref: VaultKeyRef) => (ref.path ? `${base}/${ref.path}` : base);

/**
 * Reads each secret the tenant's keys live in (once per secret) and says whether every key is there.
 * Throws what Vault throws (the caller reports VaultUnavailable).
 */
export async function checkTenantKeys(
  plan: TenantPlan,
  base: string,
  secrets: TenantSecrets | undefined,
  vault: Pick<TenantVault, 'readSecret' | 'kvMount'>,
  owner: V1OwnerReference,
): Promise<KeysReport> {
  const needed = neededKeys(secrets);
  const paths = [...new Set(needed.map((ref) => secretPath(base, ref)))].sort();
  const read = new Map<string, KvSecret | undefined>();
  for (const path of paths) read.set(path, await vault.readSecret(path));

  const missing = needed.filter((ref) => read.get(secretPath(base, ref))?.data[ref.key] === undefined);
  const versions = paths
    .map((path) => `${path === base ? '.' : path.slice(base.length + 1)}=${read.get(path)?.version ?? 0}`)
    .join(',');
  if (missing.length > 0) {
    const unique = [...new Map(missing.map((ref) => [`${secretPath(base, ref)}#${ref.key}`, ref])).values()];
    const where = unique.map((ref) => `key ${ref.key} in ${vault.kvMount}/${secretPath(base, ref)}`);
    const first = unique[0] as VaultKeyRef;
    return {
      versions,
      outcome: {
        type: 'SecretsReady',
        status: 'False',
        reason: 'SecretMissing',
        message:
          `missing ${where.join(', ')}; write it, e.g. vault kv patch ${vault.kvMount}/${secretPath(base, first)} ` +
          `${first.key}=… (the operator looks again within a minute)`,
      },
    };
  }
  const projected = secrets?.projected ?? [];
  return {
    versions,
    outcome: {
      type: 'SecretsReady',
      status: 'True',
      reason: 'PolicyWritten',
      message:
        projected.length > 0
          ? `${needed.length} key(s) present; ${projected.length} projected into Secret ${projectedSecretName(plan.name)}`
          : `${needed.length} required key(s) present`,
    },
    ...(projected.length > 0
      ? { secret: desiredProjectedSecret(plan, owner, projected, read, base, versions) }
      : {}),
  };
}

function desiredProjectedSecret(
  plan: TenantPlan,
  owner: V1OwnerReference,
  projected: ProjectedKey[],
  read: Map<string, KvSecret | undefined>,
  base: string,
  versions: string,
): Desired {
  const data = Object.fromEntries(
    projected.map((ref) => [
      ref.secretKey ?? ref.key,
      Buffer.from(read.get(secretPath(base, ref))?.data[ref.key] ?? '').toString('base64'),
    ]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: projectedSecretName(plan.name),
      namespace: plan.namespace,
      labels: tenantLabels(plan),
      annotations: { [vaultVersionsAnnotation]: versions },
      ownerReferences: [owner],
    },
    type: 'Opaque',
    data,
  };
}

/** What the tenant reconcile needs of Vault for its SecretsReady step. */
export interface TenantSecretsPort extends Pick<TenantVault, 'readSecret' | 'kvMount'> {
  /** The tenant's policy and Kubernetes-auth role, bound to its runtime in each of `namespaces`. */
  ensureAccess(plan: TenantPlan, path: string, namespaces: string[]): Promise<StepOutcome>;
}

export interface SecretsStep {
  outcome: StepOutcome;
  status: NonNullable<TenantStatus['secrets']>;
  /** When a rollout waits for its window: look again then. */
  requeueAfterMs?: number;
}

/**
 * SecretsReady: policy and role, then the declared keys, then the projected Secret. Vault trouble is
 * reported as VaultUnavailable and keeps what status said was delivered; a failed Kubernetes write
 * throws (the reconcile retries it).
 */
export async function ensureTenantSecrets(
  plan: TenantPlan,
  tenant: Tenant,
  port: TenantSecretsPort,
  actions: Pick<ObjectWrites, 'apply' | 'remove'>,
  owner: V1OwnerReference,
  namespaces: string[],
  rollout: { windowMs: number; now: Date },
): Promise<SecretsStep> {
  const path = tenantVaultPath(plan.name, tenant.spec);
  const before = tenant.status?.secrets;
  const access = await port.ensureAccess(plan, path, namespaces);
  if (access.status !== 'True') return { outcome: access, status: before ?? { path } };
  let report: KeysReport;
  try {
    report = await checkTenantKeys(plan, path, tenant.spec.secrets, port, owner);
  } catch (error) {
    return {
      outcome: {
        type: 'SecretsReady',
        status: 'False',
        reason: 'VaultUnavailable',
        message: `cannot read the tenant's keys from Vault: ${(error as Error).message}`,
      },
      status: before ?? { path },
    };
  }
  if (report.secret) await actions.apply(report.secret);
  else if (before?.projectedSecret && !tenant.spec.secrets?.projected?.length) {
    // Projection was switched off: the Secret goes (only the one this operator wrote).
    await actions.remove({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: before.projectedSecret, namespace: plan.namespace },
    });
  }
  const outcome =
    report.outcome.status !== 'True'
      ? report.outcome
      : neededKeys(tenant.spec.secrets).length === 0
        ? access
        : { ...report.outcome, message: `${access.message}; ${report.outcome.message}` };
  const projectedSecret = report.secret
    ? projectedSecretName(plan.name)
    : tenant.spec.secrets?.projected?.length
      ? before?.projectedSecret
      : undefined;
  // Pods roll for delivered versions only; while a key is missing the last rollout stands.
  const decision = report.secret
    ? decideRollout(before, report.versions, rollout.now, rollout.windowMs)
    : projectedSecret && before?.rolledOut
      ? {
          rolledOut: before.rolledOut,
          ...(before.pendingRollout ? { pendingRollout: before.pendingRollout } : {}),
        }
      : undefined;
  return {
    outcome,
    status: {
      path,
      ...(projectedSecret ? { projectedSecret } : {}),
      ...(report.versions ? { versions: report.versions } : {}),
      ...(decision ? { rolledOut: decision.rolledOut } : {}),
      ...(decision?.pendingRollout ? { pendingRollout: decision.pendingRollout } : {}),
    },
    ...(decision && 'requeueAfterMs' in decision && decision.requeueAfterMs !== undefined
      ? { requeueAfterMs: decision.requeueAfterMs }
      : {}),
  };
}
