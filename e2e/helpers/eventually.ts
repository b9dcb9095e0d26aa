// Moved to @agentplane/shared/testing so operator integration tests use the same helpers.
export { type EventuallyOptions, eventually } from '@agentplane/shared/testing';
