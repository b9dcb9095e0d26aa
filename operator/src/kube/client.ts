// A narrow JSON client for the Kubernetes API: plain objects in and out (no model classes, so wire
// field names survive), streaming watches, discovery of plural names, and one keep-alive connection
// pool. Credentials come from a client-node KubeConfig, re-applied per request so rotating tokens work.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RateLimiter } from './rate-limit.ts';
import type { KubeObject, ResourceType } from './resource.ts';

type Query = Record<string, string | number | boolean | undefined>;

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  /** The object, or a Status (`code`, `reason`, `message`) when type is ERROR. */
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export interface KubeClient {
  /** Sends one request; resolves with the parsed body, rejects with KubeApiError on a non-2xx. */
  request<T = unknown>(req: KubeRequest): Promise<T>;
  /** Streams a watch until the server ends it (resolves) or it fails (rejects); abort resolves. */
  watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
  /** Plural and scope of a kind, from discovery (cached; refreshed once when the kind is missing). */
  discover(apiVersion: string, kind: string): Promise<ResourceType>;
}

/** A non-2xx answer of the API server, with its Status reason (`NotFound`, `Conflict`, `Expired`…). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (error: unknown) => error instanceof KubeApiError && error.status === 404;
export const isConflict = (error: unknown) => error instanceof KubeApiError && error.status === 409;

export interface KubeClientOptions {
  /** Called before every request (metrics, or tests counting writes). */
  onRequest?: (method: string, path: string) => void;
  /** Idle-socket timeout of ordinary requests; watches use their own. Default 30 s. */
  timeoutMs?: number;
  /** Paces requests other than watches (see rate-limit.ts); unlimited when absent. */
  rateLimiter?: RateLimiter;
}

/** Creates a client for the current context of `kc`. */
export function createKubeClient(kc: KubeConfig, options: KubeClientOptions = {}): KubeClient {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster: set its current-context');
  const secure = server.startsWith('https:');
  let agent: http.Agent | undefined;

  async function open(
    method: string,
    path: string,
    query: Query,
    extra: Record<string, string>,
    signal?: AbortSignal,
    idleMs = options.timeoutMs ?? 30_000,
  ) {
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    agent ??= secure
      ? new https.Agent({
          keepAlive: true,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          rejectUnauthorized: tls.rejectUnauthorized,
          servername: tls.servername,
        })
      : new http.Agent({ keepAlive: true });
    const url = new URL(server + path);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, String(value));
    options.onRequest?.(method, path);
    const headers = { ...(tls.headers as Record<string, string>), Accept: 'application/json', ...extra };
    return {
      url,
      request: (secure ? https : http).request(url, {
        method,
        agent,
        headers,
        auth: tls.auth,
        signal,
        timeout: idleMs,
      }),
    };
  }

  function responseOf(request: http.ClientRequest, body?: string): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      request.on('response', resolve).on('error', reject);
      request.on('timeout', () => request.destroy(new Error('the API server did not answer in time')));
      request.end(body);
    });
  }

  async function readBody(response: http.IncomingMessage): Promise<string> {
    let text = '';
    for await (const chunk of response.setEncoding('utf8')) text += chunk;
    return text;
  }

  function apiError(method: string, url: URL, status: number, text: string): KubeApiError {
    let parsed: { reason?: string; message?: string } = {};
    try {
      parsed = JSON.parse(text);
    } catch {}
    const message = `${method} ${url.pathname}: ${status} ${parsed.message ?? text.slice(0, 200)}`;
    return new KubeApiError(status, parsed.reason ?? http.STATUS_CODES[status] ?? 'Unknown', message);
  }

  async function request<T>(req: KubeRequest): Promise<T> {
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const extra: Record<string, string> = body
      ? { 'Content-Type': req.contentType ?? 'application/json' }
      : {};
    await options.rateLimiter?.take(req.signal);
    const { url, request: outgoing } = await open(req.method, req.path, req.query ?? {}, extra, req.signal);
    const response = await responseOf(outgoing, body);
    const text = await readBody(response);
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) throw apiError(req.method, url, status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function watch(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ) {
    // The server ends a watch after timeoutSeconds; an idle socket long past that is a dead connection.
    const idleMs = (Number(query.timeoutSeconds ?? 300) + 60) * 1000;
    const { url, request: outgoing } = await open('GET', path, { ...query, watch: true }, {}, signal, idleMs);
    try {
      const response = await responseOf(outgoing);
      if (response.statusCode !== 200)
        throw apiError('GET', url, response.statusCode ?? 0, await readBody(response));
      let pending = '';
      for await (const chunk of response.setEncoding('utf8')) {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) onEvent(JSON.parse(line) as WatchEvent);
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      outgoing.destroy();
    }
  }

  const discovered = new Map<string, Promise<ResourceType[]>>();
  async function fetchResources(apiVersion: string): Promise<ResourceType[]> {
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const list = await request<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>({
      method: 'GET',
      path: root,
    });
    return list.resources
      .filter((r) => !r.name.includes('/'))
      .map((r) => ({ apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced }));
  }
  function resourcesOf(apiVersion: string, refresh: boolean): Promise<ResourceType[]> {
    let pending = discovered.get(apiVersion);
    if (!pending || refresh) {
      pending = fetchResources(apiVersion);
      discovered.set(apiVersion, pending);
      pending.catch(() => discovered.delete(apiVersion));
    }
    return pending;
  }
  async function discover(apiVersion: string, kind: string): Promise<ResourceType> {
    const found =
      (await resourcesOf(apiVersion, false)).find((r) => r.kind === kind) ??
      (await resourcesOf(apiVersion, true)).find((r) => r.kind === kind);
    if (!found)
      throw new Error(`the API server does not serve kind ${kind} in ${apiVersion}: is its CRD installed?`);
    return found;
  }

  return { request, watch, discover };
}
