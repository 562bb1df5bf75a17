/**
 * Certificate expiry checks, as Tyk's certificate expiry monitor does them for the certificates
 * an API uses (here: the PEM files named in `upstream_certificates`, role `upstream`). Settings are
 * Tyk's `security.certificate_expiry_monitor`: `warning_threshold_days` (default 30),
 * `check_cooldown_seconds` (default 3600; here also the interval between checks) and
 * `event_cooldown_seconds` (default 86400: one event per certificate and API in that time, claimed
 * in the store so gateways sharing Redis send it once).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatGoTime, type Logger, type Runtime } from 'firehook';
import type { ApiSpec } from './api-spec.ts';

export interface CertificateMonitorOptions {
  warningThresholdDays: number;
  checkCooldownSeconds: number;
  eventCooldownSeconds: number;
  /** Relative certificate paths resolve against this directory (the gateway config's). */
  baseDir: string;
}

const HOUR_MS = 3_600_000;

export function startCertificateMonitor(runtime: Runtime, apis: readonly ApiSpec[], options: CertificateMonitorOptions, logger: Logger): { stop(): void } {
  const targets = apis.flatMap((api) => api.upstreamCertificates.map((file) => ({ api, file: resolve(options.baseDir, file) })));
  if (targets.length === 0) return { stop() {} };
  const round = (): void => {
    for (const { api, file } of targets) {
      checkCertificate(runtime, api.apiId, file, options).catch((error: unknown) =>
        logger.warn({ err: error, api_id: api.apiId, file }, 'certificate check failed'),
      );
    }
  };
  const timer = setInterval(round, Math.max(1, options.checkCooldownSeconds) * 1000);
  round();
  return { stop: () => clearInterval(timer) };
}

async function checkCertificate(runtime: Runtime, apiId: string, file: string, options: CertificateMonitorOptions): Promise<void> {
  const cert = new X509Certificate(await readFile(file));
  const notAfter = new Date(cert.validTo).getTime();
  const untilExpiry = notAfter - Date.now();
  const expired = untilExpiry <= 0;
  if (!expired && untilExpiry > options.warningThresholdDays * 24 * HOUR_MS) return;

  const certId = createHash('sha256').update(cert.raw).digest('hex');
  const claimed = await runtime.store.setNX(`cert-cooldown:fire:${apiId}:${certId}`, '1', options.eventCooldownSeconds * 1000);
  if (!claimed) return;
  const certName = /^CN=(.*)$/m.exec(cert.subject)?.[1] ?? '';
  const hours = Math.trunc(Math.abs(untilExpiry) / HOUR_MS);
  const [days, restHours] = [Math.trunc(hours / 24), hours % 24];
  const base = { OriginatingRequest: '', CertID: certId, CertName: certName, APIID: apiId, CertRole: 'upstream' };
  if (expired) {
    runtime.fire(apiId, 'CertificateExpired', {
      ...base,
      Message: message(certName, 'is expired since', days, restHours),
      ExpiredAt: formatGoTime(notAfter),
      DaysSinceExpiry: days,
    });
  } else {
    runtime.fire(apiId, 'CertificateExpiringSoon', {
      ...base,
      Message: message(certName, 'is expiring in', days, restHours),
      ExpiresAt: formatGoTime(notAfter),
      DaysRemaining: days,
    });
  }
}

/** Tyk's wording: "Certificate <CN> is expiring in 4 days and 23 hours". */
function message(name: string, phrase: string, days: number, hours: number): string {
  if (days > 0) return `Certificate ${name} ${phrase} ${days} days${hours > 0 ? ` and ${hours} hours` : ''}`;
  return `Certificate ${name} ${phrase} ${hours} hours`;
}
