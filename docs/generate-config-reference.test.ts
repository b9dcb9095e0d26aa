import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { render } from './generate-config-reference.ts';

test('docs/config-reference.md is what the settings schemas say (node docs/generate-config-reference.ts)', async () => {
  const text = await render();
  assert.equal(readFileSync(new URL('./config-reference.md', import.meta.url), 'utf8'), text);
  // Each part's variables, with their defaults as an SRE would write them.
  assert.match(text, /\| `OPERATOR_RESYNC` \| `10m` \|/);
  assert.match(text, /\| `PLATFORM_ADMIN_TOKEN` \| \*required\* \|/);
  assert.match(text, /\| `AGENTPLANE_PREMIUM_REPLIES` \| `tier` \| `tier` \| one of tier, on, off \|/);
  assert.doesNotMatch(text, /\| {2}\|\n/, 'every variable says what it does');
});
