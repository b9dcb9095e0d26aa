import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root: everything the test bed writes for people lives under it in `.testbed/`. */
export const repoRoot = resolve(import.meta.dirname, '../..');

/** Where a running test bed leaves its env file, state, kubeconfig and logs. */
export const stateDir = process.env.AGENTPLANE_TESTBED_DIR ?? join(repoRoot, '.testbed');

/** Built binaries and jars, kept outside the repo and keyed by version, so a fresh clone reuses them. */
export const cacheDir = process.env.AGENTPLANE_CACHE ?? join(homedir(), '.cache', 'agentplane');

export const goModulesDir = join(import.meta.dirname, 'go');
export const kafkaPomDir = join(import.meta.dirname, 'kafka');
