// Moved to @agentplane/shared/testing so operator integration tests use the same helpers.
export { testbedEnv, uniqueName } from '@agentplane/shared/testing';
