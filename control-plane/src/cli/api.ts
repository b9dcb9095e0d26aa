// The control-plane API as platformctl uses it: JSON over fetch with the bearer token, and every
// failure turned into a CliError with the exit code a script can branch on.
import { CliError, exitCodeOfStatus, exitCodes, networkErrorCode } from './exit.ts';

export interface ApiClientOptions {
  baseUrl: string;
  token: string | undefined;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

export interface ApiClient {
  readonly baseUrl: string;
  readonly hasToken: boolean;
  /** Sends one request and returns the parsed JSON body (undefined for 204). Throws CliError. */
  request<T>(req: ApiRequest): Promise<T>;
  /** GET that streams the body; throws CliError on a non-2xx answer. */
  stream(path: string): Promise<Response>;
}

/** `{ code, message, details }`, the body of every API error. */
interface ErrorBody {
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

function hintFor(status: number, hasToken: boolean): string | undefined {
  if (status === 401)
    return hasToken
      ? 'the token was refused: check --token / AGENTPLANE_TOKEN (an ap_live_… key or the platform-admin token)'
      : 'pass --token or set AGENTPLANE_TOKEN (an ap_live_… API key or the platform-admin token)';
  if (status === 403) return 'this needs a role the token does not have; see docs/platformctl.md';
  if (status === 503) return 'a dependency of the control plane is down; retry shortly';
  return undefined;
}

async function errorOf(response: Response, what: string, hasToken: boolean): Promise<CliError> {
  const text = await response.text();
  let body: ErrorBody = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    body = { message: text.slice(0, 200) || response.statusText };
  }
  const code = body.code ?? `http_${response.status}`;
  const hint = hintFor(response.status, hasToken);
  return new CliError(exitCodeOfStatus(response.status), `${what}: ${code}: ${body.message ?? ''}`.trim(), {
    code,
    ...(hint ? { hint } : {}),
  });
}

function unreachable(baseUrl: string, error: unknown): CliError {
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  const code = networkErrorCode(error) ?? cause ?? (error as Error).message;
  return new CliError(exitCodes.unreachable, `cannot reach the control-plane API at ${baseUrl} (${code})`, {
    hint: 'start it (npm run control-plane) or point --api-url / AGENTPLANE_API_URL at it',
    code,
  });
}

export function createApiClient({ baseUrl, token, timeoutMs = 30_000 }: ApiClientOptions): ApiClient {
  const root = baseUrl.replace(/\/+$/, '');
  const send = async ({ method = 'GET', path, body }: ApiRequest, limitMs = timeoutMs): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${root}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(limitMs),
      });
    } catch (error) {
      throw unreachable(root, error);
    }
  };
  return {
    baseUrl: root,
    hasToken: Boolean(token),
    async request<T>(req: ApiRequest): Promise<T> {
      const response = await send(req);
      if (!response.ok) throw await errorOf(response, `${req.method ?? 'GET'} ${req.path}`, Boolean(token));
      if (response.status === 204) return undefined as T;
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async stream(path: string): Promise<Response> {
      // A download may take long: bounded, but far beyond an ordinary request.
      const response = await send({ path }, timeoutMs * 20);
      if (!response.ok) throw await errorOf(response, `GET ${path}`, Boolean(token));
      return response;
    },
  };
}
