// The Kubernetes side of platformctl: Tenants and AgentInstances read and applied with the caller's
// kubeconfig (server-side apply, field manager `platformctl`), and runtime pod logs. Every failure
// becomes a CliError naming the API server and what to fix.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type AgentInstance, agentInstanceResource, type Tenant, tenantResource } from '@agentplane/crds';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { CliError, exitCodes, networkErrorCode, usageError } from './exit.ts';

export const fieldManager = 'platformctl';

/** What apply needs to know of an object; the rest goes to the API server as it is. */
export interface AppliedObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string };
}

export interface Kube {
  /** The kubeconfig's current context and its API server, for messages. */
  readonly context: string;
  readonly server: string;
  getTenant(name: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  /** Every AgentInstance whose spec.tenantRef is `tenant`, in any namespace. */
  listAgentInstances(tenant: string): Promise<AgentInstance[]>;
  /** Server-side apply of one object; `force` takes fields over from other managers. */
  apply(object: AppliedObject, force: boolean): Promise<void>;
  /** Deletes Tenant `name`; false when it did not exist. */
  deleteTenant(name: string): Promise<boolean>;
  /** Names of the pods matching `selector` in `namespace`. */
  podNames(namespace: string, selector: string): Promise<string[]>;
  podLog(namespace: string, pod: string, options: { tail?: number; sinceSeconds?: number }): Promise<string>;
}

/** Which kubeconfig to use: --kubeconfig, then KUBECONFIG, then ~/.kube/config (as kubectl). */
export function resolveKubeconfig(flag: string | undefined, env: NodeJS.ProcessEnv): KubeConfig {
  const config = new KubeConfig();
  const fromHome = join(homedir(), '.kube', 'config');
  const file = flag ?? env.KUBECONFIG?.split(':').find((path) => path) ?? fromHome;
  if (!existsSync(file)) {
    throw usageError(
      `no kubeconfig at ${file}`,
      'this command talks to the Kubernetes API: pass --kubeconfig <file> or set KUBECONFIG',
    );
  }
  try {
    config.loadFromFile(file);
  } catch (error) {
    throw usageError(`cannot read the kubeconfig ${file}: ${(error as Error).message}`);
  }
  return config;
}

function statusOf(error: unknown): { code: number; reason?: string; message?: string } | undefined {
  const { code, body } = error as { code?: unknown; body?: unknown };
  if (typeof code !== 'number') return undefined;
  let parsed = body as { reason?: string; message?: string } | undefined;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as { reason?: string; message?: string };
    } catch {
      parsed = { message: body };
    }
  }
  return { code, ...(parsed?.reason ? { reason: parsed.reason } : {}), message: parsed?.message ?? '' };
}

/** Maps a client-node failure to a CliError: network → 6, 401/403 → 4, 404 → 3, else 1. */
function kubeError(server: string, context: string, what: string, error: unknown): CliError {
  const status = statusOf(error);
  if (!status) {
    const code = networkErrorCode(error) ?? (error as Error).message;
    return new CliError(exitCodes.unreachable, `cannot reach the Kubernetes API at ${server} (${code})`, {
      hint: `check that the cluster runs and that --kubeconfig / KUBECONFIG (context ${context}) points at it`,
      code,
    });
  }
  const message = `${what}: ${status.reason ?? status.code}: ${status.message}`;
  if (status.code === 401 || status.code === 403)
    return new CliError(exitCodes.unauthorized, message, {
      hint: `the kubeconfig's user (context ${context}) may not do this`,
      code: status.reason ?? String(status.code),
    });
  if (status.code === 404) return new CliError(exitCodes.notFound, message, { code: 'NotFound' });
  return new CliError(exitCodes.failure, message, { code: status.reason ?? String(status.code) });
}

const isNotFound = (error: unknown) => statusOf(error)?.code === 404;

export function createKube(config: KubeConfig): Kube {
  const context = config.getCurrentContext();
  const server = config.getCurrentCluster()?.server ?? '(no server in the kubeconfig)';
  const custom = config.makeApiClient(CustomObjectsApi);
  const core = config.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(config);
  const guard = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw kubeError(server, context, what, error);
    }
  };
  const { group, version } = tenantResource;
  return {
    context,
    server,
    getTenant: (name) =>
      guard(`get tenant ${name}`, async () => {
        try {
          return (await custom.getClusterCustomObject({ group, version, plural: 'tenants', name })) as Tenant;
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      }),
    listTenants: () =>
      guard('list tenants', async () => {
        const list = await custom.listClusterCustomObject({ group, version, plural: tenantResource.plural });
        return (list as { items: Tenant[] }).items;
      }),
    listAgentInstances: (tenant) =>
      guard(`list agent instances of ${tenant}`, async () => {
        const list = await custom.listClusterCustomObject({
          group,
          version,
          plural: agentInstanceResource.plural,
        });
        return (list as { items: AgentInstance[] }).items.filter((item) => item.spec.tenantRef === tenant);
      }),
    apply: (object, force) =>
      guard(`apply ${object.kind} ${object.metadata.name}`, async () => {
        const body = object as KubernetesObject;
        await objects.patch(body, undefined, undefined, fieldManager, force, PatchStrategy.ServerSideApply);
      }),
    deleteTenant: (name) =>
      guard(`delete tenant ${name}`, async () => {
        try {
          await custom.deleteClusterCustomObject({ group, version, plural: tenantResource.plural, name });
          return true;
        } catch (error) {
          if (isNotFound(error)) return false;
          throw error;
        }
      }),
    podNames: (namespace, selector) =>
      guard(`list pods in ${namespace}`, async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
        return pods.items.flatMap((pod) => (pod.metadata?.name ? [pod.metadata.name] : []));
      }),
    podLog: (namespace, name, { tail, sinceSeconds }) =>
      guard(`logs of pod ${name}`, () =>
        core.readNamespacedPodLog({
          name,
          namespace,
          ...(tail === undefined ? {} : { tailLines: tail }),
          ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
        }),
      ),
  };
}
