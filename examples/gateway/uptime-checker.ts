/**
 * Tyk's uptime tests: every `uptime_tests.config.time_wait` seconds (gateway config) each API's
 * `uptime_tests.check_list` URL is requested. A check fails on a non-200 answer or no answer
 * (`IsTCPError`); after `failure_trigger_sample_size` failures in a row the host is down (HostDown),
 * and the first success after that brings it back (HostUp). Meta carries Tyk's `HostInfo`.
 * `service_discovery` and `expire_utime_after` (uptime analytics) are ignored.
 */
import { request } from 'undici';
import type { HostHealthReport, Logger, Runtime } from 'firehook';
import type { ApiSpec, UptimeCheck } from './api-spec.ts';

export interface UptimeOptions {
  /** Seconds between rounds. */
  timeWait: number;
  /** Failures in a row before HostDown. */
  failureTriggerSampleSize: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

interface CheckState {
  api: ApiSpec;
  check: UptimeCheck;
  failures: number;
  down: boolean;
}

export function startUptimeChecker(runtime: Runtime, apis: readonly ApiSpec[], options: UptimeOptions, logger: Logger): { stop(): void } {
  const states: CheckState[] = apis.flatMap((api) => api.uptimeChecks.map((check) => ({ api, check, failures: 0, down: false })));
  if (states.length === 0) return { stop() {} };
  let running = false;
  const round = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      await Promise.all(states.map((state) => checkOnce(runtime, state, options, logger)));
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void round(), Math.max(1, options.timeWait) * 1000);
  void round();
  return { stop: () => clearInterval(timer) };
}

async function checkOnce(runtime: Runtime, state: CheckState, options: UptimeOptions, logger: Logger): Promise<void> {
  const { check, api } = state;
  const started = performance.now();
  let responseCode = 0;
  let tcpError = false;
  try {
    const body = check.body === '' ? undefined : Buffer.from(check.body, 'base64');
    const timeoutMs = check.timeout > 0 ? check.timeout / 1e6 : DEFAULT_TIMEOUT_MS;
    const res = await request(check.url, { method: check.method as 'GET', headers: check.headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await res.body.dump();
    responseCode = res.statusCode;
  } catch {
    tcpError = true;
  }
  const report: HostHealthReport = {
    CheckURL: check.url,
    Protocol: check.protocol,
    Timeout: check.timeout,
    Method: check.method,
    Headers: check.headers,
    Body: check.body,
    MetaData: { target_url: check.url, api_id: api.apiId, host_name: new URL(check.url).host },
    ResponseCode: responseCode,
    Latency: Math.round(performance.now() - started),
    IsTCPError: tcpError,
  };
  if (!tcpError && responseCode === 200) {
    state.failures = 0;
    if (!state.down) return;
    state.down = false;
    logger.warn({ api_id: api.apiId, url: check.url }, 'host is up');
    runtime.fire(api.apiId, 'HostUp', { Message: 'Uptime test succeeded', OriginatingRequest: '', HostInfo: report });
    return;
  }
  state.failures++;
  if (state.down || state.failures < Math.max(1, options.failureTriggerSampleSize)) return;
  state.down = true;
  logger.warn({ api_id: api.apiId, url: check.url, response_code: responseCode, tcp_error: tcpError }, 'host is down');
  runtime.fire(api.apiId, 'HostDown', { Message: 'Uptime test failed', OriginatingRequest: '', HostInfo: report });
}
