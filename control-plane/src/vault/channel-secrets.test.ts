import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChannelSecrets, cachedChannelSecrets } from './channel-secrets.ts';

function countingVault(answers: Record<string, Record<string, unknown> | Error>) {
  const reads: string[] = [];
  const vault: ChannelSecrets = {
    read: async (tenant, channel) => {
      reads.push(`${tenant}/${channel}`);
      const answer = answers[`${tenant}/${channel}`];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { vault, reads };
}

describe('the channel secret cache', () => {
  it('asks Vault once per tenant and channel within the TTL, again after it', async () => {
    let now = 0;
    const { vault, reads } = countingVault({ 'acme/web': { kind: 'hmac' } });
    const cached = cachedChannelSecrets(vault, { ttlMs: 1000, now: () => now });
    assert.deepEqual(await cached.read('acme', 'web'), { kind: 'hmac' });
    await cached.read('acme', 'web');
    assert.equal(await cached.read('acme', 'nowhere'), undefined);
    await cached.read('acme', 'nowhere');
    assert.deepEqual(reads, ['acme/web', 'acme/nowhere']);
    now = 1001;
    await cached.read('acme', 'web');
    assert.deepEqual(reads, ['acme/web', 'acme/nowhere', 'acme/web']);
  });

  it('keys by tenant: the same channel name of another tenant is its own entry', async () => {
    const { vault } = countingVault({ 'acme/web': { secret: 'a' }, 'globex/web': { secret: 'g' } });
    const cached = cachedChannelSecrets(vault, { ttlMs: 60_000 });
    assert.deepEqual(await cached.read('acme', 'web'), { secret: 'a' });
    assert.deepEqual(await cached.read('globex', 'web'), { secret: 'g' });
  });

  it('does not keep a failure, and drops the oldest entry when full', async () => {
    const { vault, reads } = countingVault({ 'acme/down': new Error('vault down') });
    const cached = cachedChannelSecrets(vault, { ttlMs: 60_000, maxEntries: 2 });
    await assert.rejects(cached.read('acme', 'down'), /vault down/);
    await assert.rejects(cached.read('acme', 'down'), /vault down/);
    assert.equal(reads.length, 2);
    await cached.read('t', 'a');
    await cached.read('t', 'b');
    await cached.read('t', 'c');
    await cached.read('t', 'a');
    assert.deepEqual(reads.slice(2), ['t/a', 't/b', 't/c', 't/a']);
  });
});
