// platformctl's process entry (bin/platformctl.mjs imports it on Node 24): argv in, exit code out.
import { run } from './cli.ts';

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
