// Schema fuzzing of the whole OpenAPI document: for every operation, requests generated from its own
// parameter and body schemas, most of them valid and some broken on purpose (a wrong type, a missing
// field, an extra one, a huge or hostile string), sent by the platform administrator and by a
// tenant owner. No answer may be a 5xx (a 503 only for a dependency the test app leaves out, saying
// so), every error must be in the documented shape, and the process must still be healthy.
// FUZZ_ATTEMPTS sets the requests per operation (default 12), FUZZ_SEED replays a run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import { errorCodes } from '../errors.ts';
import { nastyStrings, nastyValues, type Random, seededRandom } from './random.ts';
import { type TwoTenantWorld, twoTenantWorld } from './world.ts';

const attemptsPerOperation = Number(process.env.FUZZ_ATTEMPTS ?? 12);

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema as found in the OpenAPI document
type Schema = any;

interface Operation {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: Schema }>;
  body?: Schema;
}

/** A value for `schema`; with `mutate`, sometimes a wrong one. */
function generate(
  schema: Schema,
  random: Random,
  resolve: (s: Schema) => Schema,
  mutate: boolean,
  depth = 0,
): unknown {
  const s = resolve(schema ?? {});
  if (mutate && random.chance(0.08)) return random.pick([...nastyValues, ...nastyStrings]);
  if (s.const !== undefined) return s.const;
  if (s.enum) return random.pick(s.enum);
  const choices = s.anyOf ?? s.oneOf;
  if (choices) return generate(random.pick(choices), random, resolve, mutate, depth + 1);
  if (s.allOf)
    return Object.assign(
      {},
      ...s.allOf.map((part: Schema) => generate(part, random, resolve, mutate, depth + 1)),
    );
  const type = Array.isArray(s.type) ? random.pick(s.type) : s.type;
  switch (type) {
    case 'object': {
      if (depth > 4) return {};
      const object: Record<string, unknown> = {};
      for (const [name, property] of Object.entries<Schema>(s.properties ?? {})) {
        const required = (s.required ?? []).includes(name);
        if (required && mutate && random.chance(0.05)) continue; // a missing field
        if (required || random.chance(0.6))
          object[name] = generate(property, random, resolve, mutate, depth + 1);
      }
      if (mutate && random.chance(0.1))
        object[random.pick(['__proto__', 'tenantId', 'extra', 'constructor'])] = 'x';
      return object;
    }
    case 'array': {
      const length = random.int(Math.min(s.maxItems ?? 4, 4) + 1);
      return Array.from({ length }, () => generate(s.items ?? {}, random, resolve, mutate, depth + 1));
    }
    case 'integer':
    case 'number': {
      const min = s.minimum ?? s.exclusiveMinimum ?? -5;
      const max = s.maximum ?? s.exclusiveMaximum ?? 1000;
      const value = min + random.int(Math.max(1, Math.min(max - min, 1e6)) + 1);
      return type === 'integer' ? Math.min(max, Math.floor(value)) : Math.min(max, value + 0.5);
    }
    case 'boolean':
      return random.chance(0.5);
    case 'null':
      return null;
    case 'string':
      return stringFor(s, random, mutate);
    default:
      return random.pick(nastyValues);
  }
}

function stringFor(s: Schema, random: Random, mutate: boolean): string {
  if (mutate && random.chance(0.1)) return random.pick(nastyStrings);
  switch (s.format) {
    case 'uuid':
      return random.chance(0.5) ? crypto.randomUUID() : '00000000-0000-4000-8000-000000000000';
    case 'date-time':
      return new Date(Date.now() - random.int(1e9)).toISOString();
    case 'email':
      return `user${random.int(100)}@example.com`;
    case 'uri':
      return random.pick([
        'https://hooks.example.com/in',
        'http://127.0.0.1:9/x',
        'ftp://x',
        'http://169.254.169.254/',
      ]);
  }
  if (s.pattern === '^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$' || s.pattern?.startsWith('^[a-z0-9]'))
    return random.pick(['acme', 'globex', 'support', 'new-one', `n${random.int(1000)}`]);
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, 200);
  const text = random.string(max);
  return text.length >= min ? text : text.padEnd(min, 'a');
}

/** Every operation of the document, with component references resolved lazily. */
function operationsOf(document: Schema) {
  const resolve = (s: Schema): Schema => {
    if (!s?.$ref) return s;
    const name = String(s.$ref).split('/').pop() as string;
    return resolve(document.components?.schemas?.[name] ?? {});
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(document.paths ?? {})) {
    for (const [method, operation] of Object.entries<Schema>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return { operations, resolve };
}

/** An open event stream would never answer an inject: those are fuzzed on a conversation that does not exist. */
const isStream = (path: string) => path.endsWith('/events');

describe('schema fuzzing of the whole OpenAPI document', { skip: withoutTestbed(), timeout: 600_000 }, () => {
  let world: TwoTenantWorld;
  const random = seededRandom();

  before(async () => {
    world = await twoTenantWorld();
  });
  after(async () => {
    await world?.close();
  });

  it('answers every generated request without a 5xx and with errors in the documented shape', async () => {
    const docs = await world.t.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(docs.statusCode, 200);
    const { operations: all, resolve } = operationsOf(docs.json());
    // Deleting a tenant ends every later request for it: that operation goes last.
    const deletesTenant = (o: Operation) => o.method === 'DELETE' && o.path === '/v1/tenants/{t}';
    const operations = [...all.filter((o) => !deletesTenant(o)), ...all.filter(deletesTenant)];
    assert.ok(operations.length >= 40, `expected the whole API, found ${operations.length} operations`);
    const statuses: Record<number, number> = {};
    let requests = 0;
    for (const operation of operations) {
      for (let i = 0; i < attemptsPerOperation; i++) {
        const mutate = i > 0 && random.chance(0.5);
        const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
          const parameter = operation.parameters.find((p) => p.name === name && p.in === 'path');
          const fixture = world.fixtures[name];
          if (isStream(operation.path) && name === 'c') return crypto.randomUUID();
          const value =
            fixture && !mutate && random.chance(0.7)
              ? fixture
              : String(generate(parameter?.schema ?? { type: 'string' }, random, resolve, mutate));
          try {
            return encodeURIComponent(value) || 'x';
          } catch {
            return 'x';
          }
        });
        const query = new URLSearchParams();
        for (const parameter of operation.parameters.filter((p) => p.in === 'query')) {
          if (parameter.required || random.chance(0.5)) {
            const value = generate(parameter.schema, random, resolve, mutate);
            if (value !== undefined && value !== null && typeof value !== 'object')
              query.set(parameter.name, String(value));
          }
        }
        const body = operation.body ? generate(operation.body, random, resolve, mutate) : undefined;
        const headers = random.chance(0.5) ? world.t.admin : world.acme.headers;
        const url = `${path}${query.size > 0 ? `?${query}` : ''}`;
        const res = await world.t.app.inject({
          method: operation.method as 'GET',
          url,
          headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
        });
        requests++;
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        const what = `${operation.method} ${url} (seed ${random.seed}) body ${JSON.stringify(body)?.slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 400)}`;
        // A 503 is for a dependency the test app leaves out (multi-cluster, Vault), and says so.
        if (res.statusCode === 503) assert.equal(res.json().code, 'dependency_unavailable', what);
        else assert.ok(res.statusCode < 500, what);
        if (res.statusCode >= 400) {
          const error = res.json();
          const ours = typeof error.code === 'string' && typeof error.message === 'string';
          const ofrep = operation.path.startsWith('/ofrep/') && typeof error.errorCode === 'string';
          assert.ok(ours || ofrep, `an error outside the documented shape: ${what}`);
          if (ours) assert.ok((errorCodes as string[]).includes(error.code), `an undocumented code: ${what}`);
        }
      }
    }
    console.log(
      `schema fuzz: ${requests} requests over ${operations.length} operations (seed ${random.seed}); statuses ${JSON.stringify(statuses)}`,
    );
    const health = await world.t.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(health.statusCode, 200, 'still healthy after the fuzzing');
  });
});
