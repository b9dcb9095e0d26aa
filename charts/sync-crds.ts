// Copies into the chart what it ships but does not own: the generated CRDs (crds/*.agentplane.io.yaml
// → charts/agentplane/crds/) and the operator's ClusterRole (operator/deploy/rbac.yaml →
// charts/agentplane/files/), whose rules templates/operator-rbac.yaml renders. Helm cannot read files
// outside the chart, so the chart holds copies; sync-crds.test.ts fails when a copy drifts.
// Run: npm run chart:sync
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const repoRoot = join(import.meta.dirname, '..');
const chartDir = join(import.meta.dirname, 'agentplane');

export interface ChartCopy {
  /** Repository-relative paths. */
  source: string;
  target: string;
  /** What the target must contain: the source behind a header naming it. */
  text: string;
}

/** Every file the chart copies, with the text it must have. Pure apart from reading the sources. */
export function chartCopies(): ChartCopy[] {
  const crds = readdirSync(join(repoRoot, 'crds'))
    .filter((file) => file.endsWith('.agentplane.io.yaml'))
    .sort()
    .map((file) => copy(join('crds', file), join(chartDir, 'crds', file)));
  return [...crds, copy('operator/deploy/rbac.yaml', join(chartDir, 'files', 'operator-clusterrole.yaml'))];
}

function copy(source: string, target: string): ChartCopy {
  const text = readFileSync(join(repoRoot, source), 'utf8');
  return {
    source,
    target: relative(repoRoot, target),
    text: `# Copied from ${source} by charts/sync-crds.ts (npm run chart:sync). Do not edit.\n${text}`,
  };
}

/** Writes the copies that differ; returns their paths. Idempotent. */
export function syncChart(): string[] {
  const written: string[] = [];
  for (const { target, text } of chartCopies()) {
    const path = join(repoRoot, target);
    const current = (() => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    })();
    if (current === text) continue;
    writeFileSync(path, text);
    written.push(target);
  }
  return written;
}

if (import.meta.main) {
  const written = syncChart();
  console.log(written.length === 0 ? 'the chart is in sync' : written.map((p) => `wrote ${p}`).join('\n'));
}
