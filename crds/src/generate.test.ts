import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { crdDir, renderCrdFiles } from './generate.ts';

describe('generated CRD YAML', () => {
  for (const { file, yaml } of renderCrdFiles()) {
    it(`crds/${file} is what the generator writes from the schemas`, async () => {
      const committed = await readFile(new URL(file, crdDir), 'utf8').catch(() => '(missing)');
      assert.ok(
        committed === yaml,
        `crds/${file} differs from the schemas in crds/src: run \`npm run crds:generate -w crds\` ` +
          'and commit the result (never edit the YAML by hand)',
      );
    });
  }
});
