/** Sample metadata per Tyk event type, for test-firing a webhook (Go field names, as in COMPAT.md). */

const KEY = 'sample-key-0123456789abcdef';

export function sampleMeta(type: string, apiId: string): Record<string, unknown> {
  const key = { Path: '/sample/path', Origin: '203.0.113.7', Key: KEY };
  const now = new Date();
  switch (type) {
    case 'QuotaExceeded':
      return { Message: 'Key Quota Limit Exceeded', ...key };
    case 'RatelimitExceeded':
      return { Message: 'API Rate Limit Exceeded', ...key };
    case 'RateLimitSmoothingUp':
    case 'RateLimitSmoothingDown':
      return { Message: 'Rate limit smoothing', ...key };
    case 'AuthFailure':
      return { Message: 'Auth Failure', ...key };
    case 'KeyExpired':
      return { Message: 'Key has expired, please renew', ...key };
    case 'VersionFailure':
      return { Message: 'Version information not found', ...key, Reason: 'VersionNotFound' };
    case 'OrgQuotaExceeded':
    case 'OrgRateLimitExceeded':
      return { Message: 'Organisation limit exceeded', ...key };
    case 'TriggerExceeded':
      return { Message: 'Quota trigger reached', OrgID: 'sample-org', Key: KEY, TriggerLimit: 80, UsagePercentage: 85 };
    case 'BreakerTriggered':
    case 'BreakerTripped':
      return { Message: 'Circuit breaker tripped', Path: '/sample/path', APIID: apiId, CircuitEvent: 0 };
    case 'BreakerReset':
      return { Message: 'Circuit breaker reset', Path: '/sample/path', APIID: apiId, CircuitEvent: 1 };
    case 'HostDown':
    case 'HostUp':
      return {
        Message: type === 'HostDown' ? 'Uptime check failed' : 'Uptime check succeeded',
        HostInfo: {
          CheckURL: 'http://upstream.example/health',
          Protocol: 'http',
          Timeout: 5,
          Method: 'GET',
          Headers: {},
          Body: '',
          MetaData: { target_url: 'http://upstream.example/health', api_id: apiId, host_name: 'upstream.example' },
          ResponseCode: type === 'HostDown' ? 503 : 200,
          Latency: 12,
          IsTCPError: false,
        },
      };
    case 'TokenCreated':
    case 'TokenUpdated':
    case 'TokenDeleted':
      return { Message: `Key ${type.slice(5).toLowerCase()}.`, Org: 'sample-org', Key: KEY };
    case 'UpstreamOAuthError':
      return { Message: 'Upstream OAuth token request failed', APIID: apiId };
    case 'CertificateExpiringSoon':
      return {
        Message: 'Certificate expiring soon',
        CertID: 'sample-cert',
        CertName: 'sample.example',
        ExpiresAt: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
        DaysRemaining: 7,
        APIID: apiId,
        CertRole: 'server',
      };
    case 'CertificateExpired':
      return {
        Message: 'Certificate expired',
        CertID: 'sample-cert',
        CertName: 'sample.example',
        ExpiredAt: new Date(now.getTime() - 86_400_000).toISOString(),
        DaysSinceExpiry: 1,
        APIID: apiId,
        CertRole: 'server',
      };
    default:
      return { Message: `Sample ${type} event` };
  }
}
