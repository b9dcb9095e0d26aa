import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chartCopies } from './sync-crds.ts';

const repoRoot = join(import.meta.dirname, '..');

describe('the chart’s copies of the CRDs and the operator’s ClusterRole', () => {
  it('copies every generated CRD and the ClusterRole', () => {
    const sources = chartCopies().map((c) => c.source);
    assert.deepEqual(sources, [
      'crds/agentinstances.agentplane.io.yaml',
      'crds/tenants.agentplane.io.yaml',
      'operator/deploy/rbac.yaml',
    ]);
  });

  for (const { source, target, text } of chartCopies()) {
    it(`${target} is ${source}`, () => {
      const current = (() => {
        try {
          return readFileSync(join(repoRoot, target), 'utf8');
        } catch {
          return '(missing)';
        }
      })();
      assert.ok(current === text, `${target} differs from ${source}: run \`npm run chart:sync\` and commit`);
    });
  }
});
