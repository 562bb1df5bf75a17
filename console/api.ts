/** The admin API from the browser: bearer token from sessionStorage, JSON errors with problems. */
const TOKEN_KEY = 'firehook.adminToken';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: string[];

  constructor(status: number, code: string, message: string, problems: string[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = problems;
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { authorization: `Bearer ${t}` } : {};
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(), accept: 'application/json' };
  if (method !== 'GET' && method !== 'DELETE') headers['content-type'] = 'application/json';
  const res = await fetch(`/v1/admin${path}`, {
    method,
    headers,
    ...(body !== undefined || headers['content-type'] ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; problems?: string[] } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? res.statusText, err?.problems ?? []);
  }
  if (method !== 'GET') window.dispatchEvent(new Event('firehook:changed'));
  return data as T;
}

export interface Attempt {
  deliveryId: string;
  attempt: number;
  at: number;
  durationMs: number;
  url: string;
  method: string;
  apiId: string;
  eventType: string;
  handler: string;
  plugin: string;
  outcome: string;
  responseCode?: number;
  error?: string;
  responseBody?: string;
  nextAttemptAt?: number;
}

export interface DeadLetter {
  id: string;
  failedAt: number;
  reason: string;
  attempts: number;
  lastResponseCode?: number;
  lastError?: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  origin: { apiId: string; eventType: string; handler: string; plugin: string };
  createdAt: number;
}

export interface GlobalWebhook {
  id: string;
  name?: string;
  url: string;
  method?: string;
  headers?: { name: string; value: string }[];
  bodyTemplate?: string;
  cooldownPeriod?: string;
  timeout?: string;
  retry_schedule?: string[];
  deny_private_networks?: boolean;
  revision: number;
  updatedAt: string;
  deleted?: boolean;
  references?: { api_id: string; event: string }[];
  [key: string]: unknown;
}
