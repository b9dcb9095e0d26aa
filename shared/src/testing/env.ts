import { randomBytes } from 'node:crypto';

/**
 * Reads a variable the test bed exports. Tests that cross a boundary need a running bed: `npm test`
 * starts one, and `source .testbed/env` after `npm run testbed -- up` gives the same to a shell.
 */
export function testbedEnv(
  name: 'KUBECONFIG' | 'KUBE_API_SERVER' | 'KAFKA_BROKERS' | 'VAULT_ADDR' | 'VAULT_TOKEN' | 'DATABASE_URL',
): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests with \`npm test\` (it starts the test bed), or ` +
        '`npm run testbed -- up && source .testbed/env` first',
    );
  }
  return value;
}

/** A name no other test (or earlier run) uses: `<prefix>-<8 hex>`, valid as a DNS label. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * For `describe(name, { skip: withoutTestbed() }, …)`: integration tests beside the code skip
 * with this reason under `npm run test:unit`, and run under `npm test`, which starts the bed.
 */
export function withoutTestbed(): string | false {
  return process.env.KUBECONFIG ? false : 'needs the test bed: run `npm test`, or source .testbed/env';
}
