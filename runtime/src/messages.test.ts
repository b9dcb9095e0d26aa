import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { RuntimeError } from './errors.ts';
import { parseInbound } from './messages.ts';

const valid = {
  id: 'm1',
  tenant: 'acme',
  conversationId: 'c1',
  text: 'hi',
  receivedAt: '2026-01-01T00:00:00Z',
};
const parse = (value: unknown) =>
  parseInbound(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), 'acme');

it('accepts a valid inbound message', () => assert.equal(parse(valid).id, 'm1'));

it('refuses malformed records and other tenants with non-retriable errors', () => {
  const code = (value: unknown) => {
    try {
      parse(value);
      return 'accepted';
    } catch (error) {
      assert.equal((error as RuntimeError).retriable, false);
      return (error as RuntimeError).code;
    }
  };
  assert.equal(code('{'), 'malformed_message');
  assert.equal(code([1]), 'malformed_message');
  assert.equal(code({ ...valid, receivedAt: 'yesterday' }), 'malformed_message');
  assert.equal(code({ ...valid, text: 5 }), 'malformed_message');
  assert.equal(code({ ...valid, tenant: 'globex' }), 'tenant_mismatch');
});
