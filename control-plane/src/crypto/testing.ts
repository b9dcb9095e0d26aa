// For tests: PII encryption against the test bed's Vault (transit mount enabled when missing).
import { testbedEnv } from '@agentplane/shared/testing';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createVaultTransit, type TransitKeys } from '../vault/transit.ts';
import { createPii, type Pii } from './pii.ts';

/** The bed's Vault transit engine, or the one behind `addr` (a TCP relay in front of it). */
export async function bedTransit(addr = testbedEnv('VAULT_ADDR')): Promise<TransitKeys> {
  const transit = createVaultTransit({ addr, token: testbedEnv('VAULT_TOKEN'), timeoutMs: 2000 });
  await transit.ensureMount();
  return transit;
}

export async function bedPii(
  root: EntityManager,
  options: { addr?: string; ttlMs?: number } = {},
): Promise<Pii> {
  return createPii({
    root,
    transit: await bedTransit(options.addr),
    ...(options.ttlMs ? { ttlMs: options.ttlMs } : {}),
  });
}
