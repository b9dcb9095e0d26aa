// The cross-tenant fuzzer: tenant B's key against every route of the API with random and adversarial
// tenant names, object ids, query strings, headers and bodies aimed at tenant A. Not one answer may
// carry A's data, none may be a 5xx, a request naming A must be refused, and afterwards A's objects,
// flags and audit trail are as they were. OFREP is attacked with A named in the evaluation context.
// Generated from the route table, so a new route is fuzzed without a change here. FUZZ_ATTEMPTS sets
// the attempts per route (default 12), FUZZ_SEED replays a run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutTestbed } from '@agentplane/shared/testing';
import type { InjectOptions } from 'fastify';
import { nastyStrings, nastyValues, type Random, seededRandom } from './random.ts';
import { type TwoTenantWorld, twoTenantWorld } from './world.ts';

const attemptsPerRoute = Number(process.env.FUZZ_ATTEMPTS ?? 12);

/** Ways of writing "acme" that a careless router, decoder or query could take for it. */
const tenantSpellings = [
  'acme',
  '%61cme',
  '%61%63%6d%65',
  'ACME',
  'Acme',
  'acme%20',
  '%20acme',
  'acme%00',
  'acme%2f',
  'acme.',
  'acme..',
  'acme%2F..%2Fglobex',
  'globex%2F..%2Facme',
  'acme;globex',
  'acme%3Bglobex',
  'globex',
  'nope',
];

const bodyKeys = [
  'tenant',
  'tenantId',
  't',
  'name',
  'agentInstance',
  'body',
  'role',
  'value',
  'email',
  'url',
];

function randomBody(random: Random): unknown {
  switch (random.int(5)) {
    case 0:
      return {};
    case 1:
      return { tenant: 'acme', tenantId: 'acme' };
    case 2:
      return random.pick(nastyValues);
    default: {
      const body: Record<string, unknown> = {};
      for (let i = random.int(5); i >= 0; i--)
        body[random.pick(bodyKeys)] = random.chance(0.4)
          ? 'acme'
          : random.pick([...nastyStrings, ...nastyValues]);
      return body;
    }
  }
}

/** Nasty strings that can be sent as a header value at all (printable, short). */
const headerSafe = nastyStrings.filter((s) => s.length < 200 && [...s].every((c) => c >= ' ' && c <= '~'));

/** A path segment from any string; one that cannot be encoded (a lone surrogate) is sent raw-escaped. */
const segment = (value: string) => {
  try {
    return encodeURIComponent(value) || 'x';
  } catch {
    return '%ED%A0%80';
  }
};

function randomHeaders(random: Random, own: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { ...own };
  const extras: Array<[string, string]> = [
    ['x-tenant-id', 'acme'],
    ['x-tenant', 'acme'],
    ['x-forwarded-host', 'acme.agentplane.example'],
    ['x-forwarded-for', '127.0.0.1'],
    ['x-request-id', random.pick(headerSafe)],
    ['cookie', 'tenant=acme; role=owner'],
    ['x-http-method-override', 'DELETE'],
  ];
  for (const [name, value] of extras) if (random.chance(0.3)) headers[name] = value;
  return headers;
}

/** `acme` as the router will see it, to know whether a request aimed at A. */
const decoded = (spelling: string) => {
  try {
    return decodeURIComponent(spelling);
  } catch {
    return spelling;
  }
};

describe('cross-tenant fuzzing of every route', { skip: withoutTestbed(), timeout: 600_000 }, () => {
  let world: TwoTenantWorld;
  const random = seededRandom();
  let auditBefore = 0;

  before(async () => {
    world = await twoTenantWorld();
    auditBefore = (await auditOfA()).length;
  });
  after(async () => {
    await world?.close();
  });

  const auditOfA = async () => {
    const res = await world.t.app.inject({
      method: 'GET',
      url: '/v1/tenants/acme/audit',
      headers: world.acme.headers,
    });
    return res.json().items as unknown[];
  };

  /** An answer within 10 s: an open event stream on A's conversation would be a failure too. */
  const send = async (options: InjectOptions) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error('no answer within 10 s (an open stream?)')), 10_000);
    });
    try {
      return await Promise.race([world.t.app.inject(options), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  it("no answer to tenant B's key carries tenant A's data, whatever B sends", async () => {
    const routes = world.t.app.routeTable.filter((route) => route.url.startsWith('/v1/'));
    assert.ok(routes.length >= 30, `expected the API's routes, found ${routes.length}`);
    const produced = world.bus.records.length;
    let attempts = 0;
    const statuses: Record<number, number> = {};
    for (const route of routes) {
      for (let i = 0; i < attemptsPerRoute; i++) {
        let aimsAtA = false;
        const path = route.url.replace(/:(\w+)/g, (_, param: string) => {
          if (param === 't' || param === 'tenant') {
            const spelling = i === 0 ? 'acme' : random.pick(tenantSpellings);
            aimsAtA ||= decoded(spelling).trim().toLowerCase() === 'acme';
            return spelling;
          }
          const fixture = world.fixtures[param];
          return fixture && random.chance(0.7) ? fixture : segment(random.pick(nastyStrings).slice(0, 500));
        });
        const query = random.chance(0.5)
          ? `?${random.pick(['tenant=acme', 'tenantId=acme', 't=acme&t=globex', 'limit=-1', 'cursor=%00', 'x=y'])}`
          : '';
        const method = route.method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
        const res = await send({
          method,
          url: `${path}${query}`,
          headers: randomHeaders(random, world.globex.headers),
          ...(['POST', 'PUT', 'PATCH'].includes(method)
            ? { payload: JSON.stringify(randomBody(random)) }
            : {}),
        });
        attempts++;
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        const what = `${method} ${path}${query} (seed ${random.seed}) → ${res.statusCode}`;
        assert.ok(res.statusCode < 500, `${what}: ${res.body.slice(0, 300)}`);
        for (const secret of world.secrets)
          assert.ok(!res.body.includes(secret), `${what} leaks "${secret}": ${res.body.slice(0, 300)}`);
        if (aimsAtA && route.url.startsWith('/v1/tenants/'))
          assert.ok(res.statusCode >= 400, `${what}: B was let into A: ${res.body.slice(0, 300)}`);
      }
    }
    console.log(
      `cross-tenant fuzz: ${attempts} attempts over ${routes.length} routes (seed ${random.seed}), 0 leaks; statuses ${JSON.stringify(statuses)}`,
    );
    assert.equal(world.bus.records.length, produced, 'nothing was produced to any agent on B’s attempts');
  });

  it("OFREP answers B with B's flags, whichever tenant B names in the context", async () => {
    for (const tenantId of ['acme', 'ACME', 'acme ', '%61cme', 'globex', '', null, 42]) {
      for (const url of ['/ofrep/v1/evaluate/flags/max-agent-instances', '/ofrep/v1/evaluate/flags']) {
        const res = await send({
          method: 'POST',
          url,
          headers: world.globex.headers,
          payload: { context: { tenantId, targetingKey: 'acme', tenant: 'acme' } },
        });
        assert.ok(res.statusCode < 500, res.body);
        assert.ok(!res.body.includes('4711'), `A's override leaked to B through ${url}: ${res.body}`);
        if (res.statusCode === 200 && url.endsWith('max-agent-instances')) assert.equal(res.json().value, -1);
      }
    }
  });

  it("A's objects, flags and audit trail are as they were", async () => {
    const get = (url: string) => world.t.app.inject({ method: 'GET', url, headers: world.acme.headers });
    const instance = await get('/v1/tenants/acme/agent-instances/support');
    assert.equal(instance.statusCode, 200);
    assert.ok(instance.body.includes('ACME internal prompt'));
    const conversation = await get(`/v1/tenants/acme/conversations/${world.fixtures.c}`);
    assert.equal(conversation.json().messages.length, 1);
    assert.equal((await get(`/v1/tenants/acme/knowledge/${world.fixtures.documentId}`)).statusCode, 200);
    assert.equal((await get('/v1/tenants/acme/flags')).json().flags['max-agent-instances'].value, 4711);
    assert.equal((await auditOfA()).length, auditBefore, "B's attempts wrote nothing into A's audit log");
    const verify = await get('/v1/tenants/acme/audit/verify');
    assert.equal(verify.statusCode, 200, verify.body);
    assert.equal(verify.json().valid, true, verify.body);
  });
});
