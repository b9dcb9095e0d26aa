// The control plane and the vector store as local processes, shared by the local platform (run.ts)
// and the journey suite, so both run the parts the same way.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { topicNames } from '@agentplane/shared';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually.ts';
import { type PartProcess, startPart, whenAnswering } from '../helpers/runtime-process.ts';
import { freePort } from '../testbed/ports.ts';

/** The collection the control plane and the runtime share (the default of both). */
export const knowledgeCollection = 'agentplane_knowledge';

export interface VectorStore {
  part: PartProcess;
  url: string;
  /**
   * The store's API key (Qdrant's `service.api_key`), new for each start: it manages every
   * collection. The control plane indexes with it and the operator signs the tenants' read-only
   * tokens with it; runtimes never get it.
   */
  apiKey: string;
}

/**
 * Starts the STAND-IN for Qdrant (e2e/platform/qdrant-stand-in.ts) on a free loopback port with
 * authentication on, as a production Qdrant runs (a random API key, jwt_rbac); resolves once it
 * listens and has said that authentication is on.
 */
export async function startVectorStore(logFile?: string): Promise<VectorStore> {
  const apiKey = randomBytes(24).toString('base64url');
  const part = startPart('qdrant-stand-in', 'e2e/platform/qdrant-stand-in.ts', {
    env: { QDRANT_STAND_IN_API_KEY: apiKey },
    ...(logFile ? { logFile } : {}),
  });
  const url = await eventually(
    () => {
      if (part.child.exitCode !== null) throw new Error(`the Qdrant stand-in exited:\n${part.output()}`);
      return /qdrant stand-in listening at (http:\/\/\S+)/.exec(part.output())?.[1];
    },
    { what: 'the Qdrant stand-in to listen', timeoutMs: 30_000, intervalMs: 100 },
  );
  if (!/qdrant stand-in authentication: on/.test(part.output())) {
    await part.stop();
    throw new Error(`the Qdrant stand-in did not turn authentication on:\n${part.output()}`);
  }
  return { part, url, apiKey };
}

/** What a Qdrant JWT grants (Qdrant's `access` claim) and until when. */
export interface QdrantGrants {
  access: Array<{ collection: string; access: string }> | string;
  expiresAt: Date;
}

/**
 * The claims of a Qdrant JWT as Qdrant reads them, without checking its signature (the store does
 * that); undefined when `token` is not a JWT with an expiry. Pure.
 */
export function qdrantGrants(token: string): QdrantGrants | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    if (typeof claims.exp !== 'number') return undefined;
    return {
      access: (claims.access ?? 'm') as QdrantGrants['access'],
      expiresAt: new Date(claims.exp * 1000),
    };
  } catch {
    return undefined;
  }
}

export interface ControlPlane {
  part: PartProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  /** The platform administrator's bearer token of this instance. */
  adminToken: string;
}

/**
 * Starts control-plane/src/server.ts (migrations on start) on a free loopback port with the test
 * bed's settings from the environment plus `env`; resolves once /healthz answers.
 */
export async function startControlPlane(
  env: Record<string, string>,
  logFile?: string,
): Promise<ControlPlane> {
  const port = await freePort();
  const adminToken = randomBytes(24).toString('hex');
  const part = startPart('control-plane', 'control-plane/src/server.ts', {
    env: {
      CONTROL_PLANE_HTTP_ADDRESS: `127.0.0.1:${port}`,
      CONTROL_PLANE_MIGRATE_ON_START: 'true',
      PLATFORM_ADMIN_TOKEN: adminToken,
      ...env,
    },
    ...(logFile ? { logFile } : {}),
  });
  const url = `http://127.0.0.1:${port}`;
  await whenAnswering(part, `${url}/healthz`, 'the control plane to answer /healthz');
  return { part, url, adminToken };
}

/** What the runtime published for one message (runtime/src/messages.ts `ResultEvent`), as far as shown here. */
export interface PublishedResult {
  messageId: string;
  reply?: string;
  sources: { id: string; score: number }[];
  path: 'model' | 'fallback';
}

/**
 * Reads the tenant's events topic from its start with a consumer group of its own (never the
 * tenant's: `agentplane-watch-<hex>`), keeping every result event. The control plane's API does not
 * show a result's `sources`; the runtime's event carries them. `close()` leaves and deletes the group.
 */
export async function watchResults(brokers: string[], tenant: string) {
  const kafka = new Kafka({ brokers, clientId: 'agentplane-watch', logLevel: logLevel.NOTHING });
  const groupId = `agentplane-watch-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId });
  const results = new Map<string, PublishedResult>();
  await consumer.connect();
  await consumer.subscribe({ topic: topicNames.events(tenant), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value?.toString() ?? '{}') as PublishedResult & { type?: string };
      if (event.type === 'message.processed') results.set(event.messageId, event);
    },
  });
  return {
    /** The result of `messageId`, once the runtime published it. */
    result: (messageId: string, timeoutMs = 60_000) =>
      eventually(() => results.get(messageId), { what: `the result of message ${messageId}`, timeoutMs }),
    async close() {
      await consumer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

export interface ApiAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON
  body: any;
  headers: Headers;
}

/** A small client of the control-plane API at `url`, as a script would use it. */
export function apiClient(url: string) {
  /** One request; never throws for an HTTP status. */
  const request = async (method: string, path: string, token: string, body?: unknown): Promise<ApiAnswer> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  };
  return {
    request,
    /**
     * The answer's body; throws on an error status. A 409 or 503 with Retry-After (e.g. an agent
     * instance whose new topic has no leader yet) is tried again every second for up to `retryMs`.
     */
    // biome-ignore lint/suspicious/noExplicitAny: the API's JSON
    async call<T = any>(
      method: string,
      path: string,
      token: string,
      body?: unknown,
      retryMs = 30_000,
    ): Promise<T> {
      const deadline = Date.now() + retryMs;
      for (;;) {
        const answer = await request(method, path, token, body);
        if (answer.status < 400) return answer.body as T;
        const retriable = [409, 503].includes(answer.status) && answer.headers.has('retry-after');
        if (!retriable || Date.now() > deadline)
          throw new Error(`${method} ${path}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
        await sleep(1000);
      }
    },
  };
}
