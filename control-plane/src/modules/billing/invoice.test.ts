import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invoiceFor, monthRange } from './invoice.ts';

describe('invoice arithmetic', () => {
  it('charges the tier price when the included conversations suffice', () => {
    assert.deepEqual(invoiceFor('pro', 5000), {
      byContract: false,
      includedConversations: 5000,
      lines: [
        { description: 'pro tier, monthly price', quantity: 1, unitCents: 49_900, amountCents: 49_900 },
      ],
      totalCents: 49_900,
    });
  });

  it('adds each conversation above the included ones at the overage, exactly in cents', () => {
    const basic = invoiceFor('basic', 1250);
    assert.equal(basic.totalCents, 9_900 + 250 * 10, '$99 + 250 × $0.10');
    assert.deepEqual(basic.lines[1], {
      description: 'conversations above the 1000 included',
      quantity: 250,
      unitCents: 10,
      amountCents: 2_500,
    });
    assert.equal(invoiceFor('pro', 5001).totalCents, 49_905, 'one conversation over: $0.05');
    // 0.1 × 3 is 0.30000000000000004 in floating point; cents keep it exact.
    assert.equal(invoiceFor('basic', 1003).totalCents, 9_930);
    assert.equal(invoiceFor('basic', 0).totalCents, 9_900);
  });

  it('says enterprise is priced by contract instead of inventing amounts', () => {
    assert.deepEqual(invoiceFor('enterprise', 80_000), {
      byContract: true,
      lines: [],
      totalCents: null,
      includedConversations: null,
    });
  });

  it('bounds a month in UTC, December included', () => {
    assert.deepEqual(monthRange('2026-12'), {
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2027-01-01T00:00:00Z'),
    });
  });
});
