import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isSealed, normalizePii, tenantKeys } from './envelope.ts';

describe('envelope encryption of PII values', () => {
  const dataKey = randomBytes(32);
  const acme = tenantKeys('acme', dataKey);

  it('seals to an opaque value that opens to the plaintext, different each time', () => {
    const one = acme.seal('ana@example.com');
    const two = acme.seal('ana@example.com');
    assert.ok(isSealed(one));
    assert.ok(!one.includes('ana') && !one.includes('example'));
    assert.notEqual(one, two);
    assert.equal(acme.open(one), 'ana@example.com');
    assert.equal(acme.open('plain@example.com'), 'plain@example.com', 'plaintext from before passes through');
  });

  it('refuses a tampered value, another data key, and another tenant with the same key', () => {
    const sealed = acme.seal('+351 912 345 678');
    const tampered = `${sealed.slice(0, -3)}${sealed.at(-3) === 'A' ? 'B' : 'A'}${sealed.slice(-2)}`;
    assert.throws(() => acme.open(tampered));
    assert.throws(() => tenantKeys('acme', randomBytes(32)).open(sealed));
    assert.throws(() => tenantKeys('globex', dataKey).open(sealed), 'bound to the tenant');
  });

  it('blind indexes match on the normal form only, and differ between tenants', () => {
    assert.equal(acme.index('email', ' Ana@Example.COM '), acme.index('email', 'ana@example.com'));
    assert.equal(acme.index('phone', '+351 912-345-678'), acme.index('phone', '00351912345678'));
    assert.notEqual(acme.index('email', 'ana@example.com'), acme.index('email', 'bo@example.com'));
    assert.notEqual(
      acme.index('email', 'ana@example.com'),
      tenantKeys('b', randomBytes(32)).index('email', 'ana@example.com'),
    );
    assert.notEqual(acme.index('email', 'x'), acme.index('phone', 'x'), 'the kind is part of the index');
    assert.equal(normalizePii('phone', '(0351) 912 34'), '035191234');
    assert.equal(normalizePii('phone', '+351 912'), normalizePii('phone', '351912'));
  });
});
