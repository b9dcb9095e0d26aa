import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKeyCache, type StoredKey } from './principal-store.ts';

const stored = (lookupId: string, tenantId = 'acme'): StoredKey => ({
  keyId: `key-${lookupId}`,
  tenantId,
  role: 'owner',
  keyHash: 'hash',
  tier: 'pro',
  suspended: false,
});

/** A key store in memory that counts lookups; `gate` holds lookups until released. */
function store(keys: Record<string, StoredKey>) {
  const asked: string[] = [];
  let gate: Promise<void> | undefined;
  let release = () => {};
  return {
    asked,
    keys,
    hold() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
    find: async (lookupId: string) => {
      asked.push(lookupId);
      const answer = keys[lookupId];
      await gate;
      return answer;
    },
  };
}

function clock() {
  let at = 1_000;
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
  };
}

describe('the API key cache', () => {
  it('answers a found key from memory until the TTL passes', async () => {
    const db = store({ a: stored('a') });
    const time = clock();
    const cache = createKeyCache(db.find, { ttlMs: 2_000, now: time.now });
    assert.equal((await cache.find('a'))?.keyId, 'key-a');
    time.advance(1_999);
    await cache.find('a');
    assert.deepEqual(db.asked, ['a']);
    time.advance(1);
    await cache.find('a');
    assert.deepEqual(db.asked, ['a', 'a']);
  });

  it('keeps no answer for an unknown key, so a key issued elsewhere works at once', async () => {
    const db = store({});
    const cache = createKeyCache(db.find);
    assert.equal(await cache.find('b'), undefined);
    db.keys.b = stored('b');
    assert.equal((await cache.find('b'))?.keyId, 'key-b');
    assert.deepEqual(db.asked, ['b', 'b']);
  });

  it('asks once for concurrent lookups of one key', async () => {
    const db = store({ a: stored('a') });
    const cache = createKeyCache(db.find);
    await Promise.all([cache.find('a'), cache.find('a'), cache.find('a')]);
    assert.deepEqual(db.asked, ['a']);
  });

  it("forgets a tenant's keys at once and keeps the other tenants'", async () => {
    const db = store({ a: stored('a', 'acme'), g: stored('g', 'globex') });
    const cache = createKeyCache(db.find);
    await cache.find('a');
    await cache.find('g');
    delete db.keys.a; // revoked: the function no longer returns it
    cache.forgetTenant('acme');
    assert.equal(await cache.find('a'), undefined);
    await cache.find('g');
    assert.deepEqual(db.asked, ['a', 'g', 'a']);
  });

  it('does not keep what a lookup in flight during a forget read: it may be the revoked row', async () => {
    const db = store({ a: stored('a') });
    const cache = createKeyCache(db.find);
    db.hold();
    const inFlight = cache.find('a'); // read the row before the revocation committed
    cache.forgetTenant('acme');
    db.release();
    assert.equal((await inFlight)?.keyId, 'key-a', 'the request that was under way still gets its answer');
    delete db.keys.a;
    assert.equal(await cache.find('a'), undefined, 'the next request asks PostgreSQL again');
  });

  it('drops a failed lookup, so the next request retries', async () => {
    let fail = true;
    const cache = createKeyCache(async (lookupId) => {
      if (fail) throw new Error('connection refused');
      return stored(lookupId);
    });
    await assert.rejects(cache.find('a'), /connection refused/);
    fail = false;
    assert.equal((await cache.find('a'))?.keyId, 'key-a');
  });

  it('holds at most maxEntries keys, dropping the oldest first', async () => {
    const db = store({ a: stored('a'), b: stored('b'), c: stored('c') });
    const cache = createKeyCache(db.find, { maxEntries: 2 });
    await cache.find('a');
    await cache.find('b');
    await cache.find('c');
    await cache.find('c');
    await cache.find('b');
    await cache.find('a');
    assert.deepEqual(db.asked, ['a', 'b', 'c', 'a']);
  });
});
