import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type StepOutcome, summarizeTenant } from './status.ts';

const ok = (type: string): StepOutcome => ({
  type,
  status: 'True',
  reason: 'Applied',
  message: `${type} applied`,
});

describe('summarizeTenant', () => {
  it('is Ready when every step succeeded', () => {
    const { phase, conditions } = summarizeTenant([ok('NamespaceReady'), ok('QuotaApplied')], {
      suspended: false,
      moving: false,
    });
    assert.equal(phase, 'Ready');
    assert.deepEqual(conditions.at(-1), {
      type: 'Ready',
      status: 'True',
      reason: 'Provisioned',
      message: "the tenant's home is provisioned",
    });
  });

  it('names the first failing step as the reason and every failure in the message', () => {
    const quota: StepOutcome = {
      type: 'QuotaApplied',
      status: 'False',
      reason: 'ApplyFailed',
      message: 'forbidden',
    };
    const { phase, conditions } = summarizeTenant([ok('NamespaceReady'), quota], {
      suspended: false,
      moving: false,
    });
    assert.equal(phase, 'Provisioning');
    assert.equal(conditions.at(-1)?.reason, 'ApplyFailed');
    assert.equal(conditions.at(-1)?.message, 'QuotaApplied: forbidden');
  });

  it('reports a suspended tenant as Suspended and still Ready', () => {
    const { phase, conditions } = summarizeTenant([ok('NamespaceReady')], { suspended: true, moving: false });
    assert.equal(phase, 'Suspended');
    assert.equal(conditions.at(-1)?.reason, 'Suspended');
  });

  it('keeps a moving tenant Provisioning', () => {
    assert.equal(
      summarizeTenant([ok('NamespaceReady')], { suspended: false, moving: true }).phase,
      'Provisioning',
    );
  });

  it('reports a hibernating or waking tenant in its phase, still Ready; suspension wins', () => {
    const asleep = summarizeTenant([ok('NamespaceReady')], {
      suspended: false,
      moving: false,
      hibernation: 'Hibernating',
    });
    assert.equal(asleep.phase, 'Hibernating');
    assert.equal(asleep.conditions.at(-1)?.status, 'True');
    assert.equal(asleep.conditions.at(-1)?.reason, 'Hibernating');
    const waking = summarizeTenant([ok('NamespaceReady')], {
      suspended: false,
      moving: false,
      hibernation: 'Waking',
    });
    assert.equal(waking.phase, 'Waking');
    const both = summarizeTenant([ok('NamespaceReady')], {
      suspended: true,
      moving: false,
      hibernation: 'Hibernating',
    });
    assert.equal(both.phase, 'Suspended');
    const failing = summarizeTenant([{ ...ok('QuotaApplied'), status: 'False' }], {
      suspended: false,
      moving: false,
      hibernation: 'Hibernating',
    });
    assert.equal(failing.phase, 'Provisioning', 'a broken home is said before sleep');
  });
});
