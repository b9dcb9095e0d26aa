// Our small controller-runtime: generic machinery only, no agentplane domain knowledge.
export * from './apply.ts';
export * from './client.ts';
export * from './conditions.ts';
export * from './controller.ts';
export * from './events.ts';
export * from './finalizers.ts';
export * from './informer.ts';
export * from './leader-election.ts';
export * from './manager.ts';
export * from './metrics.ts';
export * from './needs-apply.ts';
export * from './owner.ts';
export * from './predicates.ts';
export * from './resource.ts';
export * from './result.ts';
export * from './store.ts';
export * from './workqueue.ts';
