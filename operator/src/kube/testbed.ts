// Helpers for the integration tests of this package against the test bed's API server. Test-only:
// production code gets its KubeConfig from the operator's config.
import type { TestContext } from 'node:test';
import { testbedEnv, uniqueName } from '@agentplane/shared/testing';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeClient, isNotFound, type KubeClient, type KubeClientOptions } from './client.ts';
import { type KubeObject, resourcePath } from './resource.ts';

export function testbedClient(options: KubeClientOptions = {}): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(testbedEnv('KUBECONFIG'));
  return createKubeClient(kc, options);
}

/** Creates a namespace with a unique name, deleted when the test ends. */
export async function testNamespace(t: TestContext, client: KubeClient, prefix = 'kube'): Promise<string> {
  const name = uniqueName(prefix);
  await client.request({ method: 'POST', path: '/api/v1/namespaces', body: { metadata: { name } } });
  t.after(() => client.request({ method: 'DELETE', path: `/api/v1/namespaces/${name}` }).catch(() => {}));
  return name;
}

export async function pathOf(client: KubeClient, obj: KubeObject): Promise<string> {
  const type = await client.discover(obj.apiVersion ?? 'v1', obj.kind ?? '');
  return resourcePath(type, { namespace: obj.metadata?.namespace, name: obj.metadata?.name });
}

export async function createObject<T extends KubeObject>(client: KubeClient, obj: T): Promise<T> {
  const type = await client.discover(obj.apiVersion ?? 'v1', obj.kind ?? '');
  const path = resourcePath(type, { namespace: obj.metadata?.namespace });
  return client.request<T>({ method: 'POST', path, body: obj });
}

export async function mergePatch(client: KubeClient, obj: KubeObject, patch: unknown): Promise<KubeObject> {
  const path = await pathOf(client, obj);
  return client.request({ method: 'PATCH', path, body: patch, contentType: 'application/merge-patch+json' });
}

/** Deletes `obj`; a missing object is fine. */
export async function deleteObject(client: KubeClient, obj: KubeObject): Promise<void> {
  await client.request({ method: 'DELETE', path: await pathOf(client, obj) }).catch((error) => {
    if (!isNotFound(error)) throw error;
  });
}

export async function readObject<T extends KubeObject>(
  client: KubeClient,
  obj: KubeObject,
): Promise<T | undefined> {
  return client.request<T>({ method: 'GET', path: await pathOf(client, obj) }).catch((error) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
}

export function configMap(
  namespace: string,
  name: string,
  data: Record<string, string> = {},
  labels: Record<string, string> = {},
): KubeObject & { data: Record<string, string> } {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

/**
 * Installs a namespaced `Widget` CRD in `group` (use a unique group per test: a fresh CRD has a
 * fresh watch cache), with a status subresource whose conditions are a list keyed by type.
 * Deleted when the test ends. Returns the kind.
 */
export async function installWidgetCrd(t: TestContext, client: KubeClient, group: string): Promise<string> {
  const conditions = {
    type: 'array',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    items: {
      type: 'object',
      required: ['type', 'status'],
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { type: { type: 'string' }, status: { type: 'string' } },
    },
  };
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: {
                  type: 'object',
                  'x-kubernetes-preserve-unknown-fields': true,
                  properties: { conditions },
                },
              },
            },
          },
        },
      ],
    },
  };
  await createObject(client, crd);
  t.after(() => deleteObject(client, crd));
  return 'Widget';
}
