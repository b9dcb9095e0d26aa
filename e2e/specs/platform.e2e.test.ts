// The README's first command does what it says: the local platform comes up on the test bed, a
// tenant made through the API gets an agent whose runtime runs from the operator's Deployment spec,
// and a message sent to the API is answered end to end (fallback path, no model key).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '../helpers/env.ts';

describe('the local platform', () => {
  it('answers a sample message end to end and prints the API, a key and how to stop', async () => {
    const tenant = uniqueName('plat');
    const script = fileURLToPath(new URL('../platform/run.ts', import.meta.url));
    const child = spawn(process.execPath, [script, '--once', '--tenant', tenant], {
      env: { ...process.env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, output.slice(-3000));
    assert.match(output, /reply {3}: \S.{10,}/, 'a reply was printed');
    assert.match(output, /intent {2}: sales/);
    assert.match(output, /"email":"peter@initech\.example"/);
    assert.match(output, /API {7}http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /API key {3}ap_live_\S+/);
    assert.doesNotMatch(output, /test bed down/, 'a bed it did not start is left running');
  });
});
