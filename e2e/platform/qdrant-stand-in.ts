// The vector store of the local platform and the journey suite: a STAND-IN for Qdrant (no Qdrant
// server can run on these machines), the faithful subset of its REST API the adapter uses, run as
// its own process so the control plane (which indexes knowledge) and the runtime (which retrieves
// it) share one store, as they share one Qdrant in a cluster. Its data lives in memory.
// With QDRANT_STAND_IN_API_KEY it authenticates as a production Qdrant with `service.api_key` and
// `service.jwt_rbac: true` does: the key manages everything, JWTs signed with it get their grants
// (the tenants' read-only tokens the operator mints), anything else is refused.
// Prints one line `qdrant stand-in listening at <url>` on stdout once it accepts connections, after
// one line saying whether authentication is on (never the key).
import { startQdrantStandIn } from '@agentplane/runtime/test-support/qdrant-stand-in';

const apiKey = process.env.QDRANT_STAND_IN_API_KEY || undefined;
const standIn = await startQdrantStandIn(apiKey ? { apiKey, jwtRbac: true } : {});
console.error(
  'THIS IS A STAND-IN FOR QDRANT (runtime/test-support/qdrant-stand-in.ts), in memory, for local use and tests only',
);
console.log(
  apiKey
    ? 'qdrant stand-in authentication: on (api_key from QDRANT_STAND_IN_API_KEY, jwt_rbac on)'
    : 'qdrant stand-in authentication: off (no QDRANT_STAND_IN_API_KEY): every request is allowed',
);
console.log(`qdrant stand-in listening at ${standIn.url}`);
// Clients keep connections alive, which would hold close() open: give it a moment, then go.
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    setTimeout(() => process.exit(0), 500).unref();
    void standIn.close().then(() => process.exit(0));
  });
