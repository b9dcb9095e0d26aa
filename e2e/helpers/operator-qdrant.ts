// An operator suite that manages knowledge partitions in the Qdrant STAND-IN (no Qdrant server runs
// here): the stand-in starts before the operator (which is told its URL, collection and vector size,
// and its API key when the stand-in authenticates as a production Qdrant does) and closes after it.
import { startQdrantStandIn } from '@agentplane/runtime/test-support/qdrant-stand-in';
import { type OperatorSuite, operatorSuite } from './operator.ts';

type QdrantStandIn = Awaited<ReturnType<typeof startQdrantStandIn>>;

export interface OperatorQdrantOptions {
  /** OPERATOR_QDRANT_COLLECTION: the shared collection. */
  collection: string;
  /** OPERATOR_QDRANT_DIMENSIONS. */
  dimensions: number;
  /** The stand-in requires it (with jwt_rbac) and the operator signs the pods' tokens with it. */
  apiKey?: string;
  /** Runs after the operator stopped, before the stand-in closes (e.g. delete the suite's tenants). */
  afterStop?: () => Promise<void>;
}

export function operatorWithQdrantSuite(options: OperatorQdrantOptions): {
  suite: OperatorSuite;
  qdrant: () => QdrantStandIn;
} {
  const state: { qdrant?: QdrantStandIn } = {};
  const env: Record<string, string> = {};
  const suite = operatorSuite(env, {
    beforeStart: async () => {
      state.qdrant = await startQdrantStandIn(
        options.apiKey ? { apiKey: options.apiKey, jwtRbac: true } : {},
      );
      Object.assign(env, {
        OPERATOR_QDRANT_URL: state.qdrant.url,
        ...(options.apiKey ? { OPERATOR_QDRANT_API_KEY: options.apiKey } : {}),
        OPERATOR_QDRANT_COLLECTION: options.collection,
        OPERATOR_QDRANT_DIMENSIONS: String(options.dimensions),
      });
    },
    afterStop: async () => {
      try {
        await options.afterStop?.();
      } finally {
        await state.qdrant?.close();
      }
    },
  });
  return {
    suite,
    qdrant: () => {
      if (!state.qdrant) throw new Error('the stand-in starts before the operator');
      return state.qdrant;
    },
  };
}
