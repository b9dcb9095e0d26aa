// @agentplane/shared: code two parts need — logging, configuration, naming.
export * from './config.ts';
export * from './logger.ts';
export * from './naming.ts';
