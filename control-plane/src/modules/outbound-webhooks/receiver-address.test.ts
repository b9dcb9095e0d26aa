import assert from 'node:assert/strict';
import type { lookup } from 'node:dns/promises';
import { describe, it } from 'node:test';
import { isPrivateAddress, receiverRefusal } from './receiver-address.ts';

/** A resolver answering from a table, as DNS would. */
const resolver = (table: Record<string, string[]>) =>
  (async (host: string) => {
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }) as unknown as typeof lookup;

describe('where outbound webhooks may deliver', () => {
  it('tells private, loopback, link-local and mapped addresses from public ones', () => {
    for (const address of [
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
    ])
      assert.equal(isPrivateAddress(address), true, address);
    for (const address of ['8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:1.1.1.1'])
      assert.equal(isPrivateAddress(address), false, address);
  });

  it('refuses a name with any private address, on every attempt, unless private receivers are allowed', async () => {
    const resolve = resolver({
      'hooks.example.com': ['93.184.216.34'],
      'sneaky.example.com': ['93.184.216.34', '10.0.0.7'],
      'rebound.example.com': ['127.0.0.1'],
    });
    assert.equal(await receiverRefusal('https://hooks.example.com/in', { resolve }), undefined);
    assert.match(
      (await receiverRefusal('https://sneaky.example.com/in', { resolve })) ?? '',
      /private address \(10\.0\.0\.7\).*CONTROL_PLANE_WEBHOOK_ALLOW_PRIVATE/,
    );
    assert.match((await receiverRefusal('http://rebound.example.com/', { resolve })) ?? '', /127\.0\.0\.1/);
    assert.match((await receiverRefusal('http://[::1]:8080/x', { resolve })) ?? '', /::1/);
    assert.match(
      (await receiverRefusal('http://gone.example.com/', { resolve })) ?? '',
      /does not resolve \(ENOTFOUND\)/,
    );
    assert.equal(await receiverRefusal('http://127.0.0.1:9/', { resolve, allowPrivate: true }), undefined);
  });
});
