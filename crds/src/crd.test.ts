import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentInstanceCrd, customResourceDefinitions, tenantCrd } from './crd.ts';

// Keywords a structural CRD schema may use (apiextensions.k8s.io/v1 JSONSchemaProps, minus those
// structural schemas forbid). TypeBox emitting anything else ($id, const, $ref...) must fail here,
// not at `kubectl apply` time.
const allowed = new Set([
  'description',
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'items',
  'required',
  'properties',
  'anyOf',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
]);

function* nodes(schema: Record<string, unknown>, path: string): Generator<[string, Record<string, unknown>]> {
  yield [path, schema];
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, child] of Object.entries(properties)) yield* nodes(child, `${path}.${name}`);
  if (schema.items) yield* nodes(schema.items as Record<string, unknown>, `${path}[]`);
}

describe('CustomResourceDefinitions', () => {
  for (const crd of customResourceDefinitions()) {
    const schema = crd.spec.versions[0]?.schema.openAPIV3Schema ?? {};

    it(`${crd.metadata.name} uses only structural schema keywords`, () => {
      for (const [path, node] of nodes(schema, '')) {
        for (const key of Object.keys(node))
          assert.ok(allowed.has(key), `${path || '<root>'}: ${key} is not allowed`);
        const typed = node.type !== undefined || node['x-kubernetes-int-or-string'] === true;
        assert.ok(typed, `${path || '<root>'} has no type`);
      }
    });

    it(`${crd.metadata.name} describes every field under spec and status`, () => {
      for (const [path, node] of nodes(schema, '')) {
        if (/^\.(spec|status)/.test(path)) assert.ok(node.description, `${path} has no description`);
      }
    });
  }

  it('makes Tenant cluster-scoped and AgentInstance namespaced, both in the agentplane category', () => {
    assert.equal(tenantCrd().spec.scope, 'Cluster');
    assert.deepEqual(tenantCrd().spec.names.shortNames, ['tn']);
    assert.equal(agentInstanceCrd().spec.scope, 'Namespaced');
    assert.deepEqual(agentInstanceCrd().spec.names.shortNames, ['ai']);
    for (const crd of customResourceDefinitions())
      assert.deepEqual(crd.spec.names.categories, ['agentplane']);
  });
});
