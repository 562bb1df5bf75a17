/**
 * The parts of a Tyk Classic API definition the example gateway acts on, read from the document
 * Firehook loaded (`runtime.generation().apis[i].raw`), with Tyk's field names and defaults.
 * Everything else in the definition is ignored.
 */
import { ConfigError, type ApiDefinition, type ConfigProblem } from 'firehook';

export interface VersionSettings {
  notVersioned: boolean;
  /** `header`, `url-param` or `url` (Tyk's `definition.location`). */
  location: string;
  /** Header or query parameter holding the version (Tyk's `definition.key`). */
  key: string;
  defaultVersion: string;
  names: ReadonlySet<string>;
}

/** One `extended_paths.circuit_breakers` entry of one version. */
export interface BreakerSettings {
  version: string;
  path: string;
  method: string;
  /** Failure ratio 0..1 that trips the breaker. */
  thresholdPercent: number;
  /** Minimum requests in the window before the ratio counts. */
  samples: number;
  /** Seconds until a tripped breaker resets. */
  returnToServiceAfter: number;
}

/** One `uptime_tests.check_list` entry. */
export interface UptimeCheck {
  url: string;
  protocol: string;
  /** Go duration in nanoseconds (Tyk's `time.Duration` JSON); 0: the gateway default. */
  timeout: number;
  method: string;
  headers: Record<string, string>;
  /** Base64 request body, as Tyk stores it. */
  body: string;
}

export interface ApiSpec {
  apiId: string;
  orgId: string;
  name: string;
  keyless: boolean;
  authHeader: string;
  listenPath: string;
  targetUrl: string;
  stripListenPath: boolean;
  /** `global_rate_limit` when enabled: `rate` requests per `per` seconds for the whole API. */
  globalRateLimit: { rate: number; per: number } | undefined;
  versions: VersionSettings;
  breakers: BreakerSettings[];
  uptimeChecks: UptimeCheck[];
  /** Certificate files named in `upstream_certificates` (domain -> file). */
  upstreamCertificates: string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/** Read the gateway-relevant fields; missing `proxy.listen_path` / `proxy.target_url` are errors. */
export function apiSpecFrom(api: ApiDefinition): ApiSpec {
  // An Operator manifest's `spec` is a Classic definition.
  const [raw, base] = api.format === 'operator' ? [obj(api.raw.spec), '/spec'] : [api.raw as Obj, ''];
  const proxy = obj(raw.proxy);
  const problems: ConfigProblem[] = [];
  const listenPath = str(proxy.listen_path);
  const targetUrl = str(proxy.target_url);
  if (!listenPath.startsWith('/'))
    problems.push({ file: api.file, pointer: `${base}/proxy/listen_path`, message: 'must be a path starting with "/"', severity: 'error' });
  if (!URL.canParse(targetUrl))
    problems.push({
      file: api.file,
      pointer: `${base}/proxy/target_url`,
      message: `must be an absolute URL (got ${JSON.stringify(targetUrl)})`,
      severity: 'error',
    });
  if (problems.length > 0) throw new ConfigError(problems);

  const authToken = obj(obj(raw.auth_configs).authToken);
  const global = obj(raw.global_rate_limit);
  const certs = Object.values(obj(raw.upstream_certificates)).filter((v): v is string => typeof v === 'string');
  return {
    apiId: api.apiId,
    orgId: api.orgId,
    name: api.name,
    keyless: raw.use_keyless === true,
    authHeader: str(authToken.auth_header_name) || str(obj(raw.auth).auth_header_name) || 'Authorization',
    listenPath,
    targetUrl,
    stripListenPath: proxy.strip_listen_path === true,
    globalRateLimit: global.disabled !== true && num(global.rate) > 0 && num(global.per) > 0 ? { rate: num(global.rate), per: num(global.per) } : undefined,
    versions: versionsOf(raw),
    breakers: breakersOf(raw),
    uptimeChecks: uptimeChecksOf(raw),
    upstreamCertificates: certs,
  };
}

function versionsOf(raw: Obj): VersionSettings {
  const data = obj(raw.version_data);
  const definition = obj(raw.definition);
  const names = new Set(Object.keys(obj(data.versions)));
  return {
    // Tyk: `not_versioned` (Go zero value false); a definition without versions is treated as unversioned.
    notVersioned: data.not_versioned === true || names.size === 0,
    location: str(definition.location, 'header') || 'header',
    key: str(definition.key) || 'x-api-version',
    defaultVersion: str(data.default_version),
    names,
  };
}

function breakersOf(raw: Obj): BreakerSettings[] {
  const out: BreakerSettings[] = [];
  for (const [version, info] of Object.entries(obj(obj(raw.version_data).versions))) {
    const entries = obj(obj(info).extended_paths).circuit_breakers;
    if (!Array.isArray(entries)) continue;
    for (const entry of entries.map(obj)) {
      if (entry.disabled === true || typeof entry.path !== 'string') continue;
      out.push({
        version,
        path: entry.path,
        method: str(entry.method, 'GET').toUpperCase(),
        thresholdPercent: num(entry.threshold_percent, 0.5),
        samples: Math.max(1, num(entry.samples, 1)),
        returnToServiceAfter: Math.max(0, num(entry.return_to_service_after, 30)),
      });
    }
  }
  return out;
}

function uptimeChecksOf(raw: Obj): UptimeCheck[] {
  const uptime = obj(raw.uptime_tests);
  if (uptime.disabled === true || !Array.isArray(uptime.check_list)) return [];
  return uptime.check_list
    .map(obj)
    .filter((c) => URL.canParse(str(c.url)))
    .map((c) => ({
      url: str(c.url),
      protocol: str(c.protocol),
      timeout: num(c.timeout),
      method: str(c.method, 'GET').toUpperCase() || 'GET',
      headers: Object.fromEntries(Object.entries(obj(c.headers)).filter((e): e is [string, string] => typeof e[1] === 'string')),
      body: str(c.body),
    }));
}
