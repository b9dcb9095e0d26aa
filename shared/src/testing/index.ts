// Helpers for tests of every part (`@agentplane/shared/testing`); never imported by production code.
export * from './env.ts';
export * from './eventually.ts';
