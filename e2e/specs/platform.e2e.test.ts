// The README's first command does what it says: the local platform comes up on the test bed, a
// tenant made through the API gets an agent whose runtime runs from the operator's Deployment spec
// and a knowledge document indexed into the vector store (a Qdrant stand-in process shared by the
// control plane and the runtime, with an API key as production Qdrant has, the runtime reading with its
// tenant's read-only token), and a message sent to the API is answered end to end from that knowledge
// (fallback path, no model key).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '../helpers/env.ts';

describe('the local platform', () => {
  it('answers a sample message from its knowledge and prints the API, a key and how to stop', async () => {
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
    assert.match(output, /STAND-IN FOR QDRANT|a STAND-IN for Qdrant/, 'the stand-in is named as such');
    assert.match(output, /document \S+: ready, [1-9]\d* chunks/, 'the knowledge was indexed');
    // The fallback reply quotes the best chunk: only the indexed document holds these words.
    assert.match(output, /reply {3}: .*This may help: .*The Pro plan costs \$499 a month/);
    assert.match(output, /sources : Globex handbook › Plans and pricing › The Pro plan \(score 0\.\d+\)/);
    // The stand-in authenticates as production Qdrant does; the sources above were retrieved by a
    // runtime whose only credential is its tenant's read-only token.
    assert.match(output, /authentication on: an API key for this run \(not shown\)/);
    assert.match(
      output,
      new RegExp(
        `token from Secret tenant-${tenant}-qdrant: r on agentplane_knowledge-${tenant}, until \\d{4}-`,
      ),
    );
    assert.match(output, /intent {2}: sales/);
    assert.match(output, /"email":"peter@initech\.example"/);
    assert.match(output, /API {7}http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /API key {3}ap_live_\S+/);
    assert.match(output, /tenant \S+ deleted/, '--once deletes its tenant through the API');
    assert.doesNotMatch(output, /test bed down/, 'a bed it did not start is left running');
  });
});
