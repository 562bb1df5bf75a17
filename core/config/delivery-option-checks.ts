/**
 * What a schema cannot say about Firehook's delivery options, checked the same way wherever they
 * are written (a webhook handler, a global webhook, the gateway config's `webhooks` defaults):
 * duration signs, allow-list entries, signing secrets that match the pattern but do not decode.
 * Values of the wrong type are left to the schema, which reports them.
 */
import { decodeSigningSecret } from '../delivery/signing.ts';
import type { ConfigProblem } from '../errors/firehook-error.ts';
import { parseGoDuration } from '../go/time.ts';
import { parseAllowNetworks } from '../net/egress-policy.ts';
import { SIGNING_SECRET_PATTERN } from './schema-fragments.ts';
import { showValue } from './validate.ts';

const SECRET = new RegExp(SIGNING_SECRET_PATTERN);

/** `at(key, ...rest)`: the JSON pointer of a key as the user wrote it. */
export function deliveryOptionProblems(
  options: Readonly<Record<string, unknown>>,
  file: string,
  at: (key: string, ...rest: (string | number)[]) => string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (pointer: string, message: string, value?: unknown): void => {
    const shown = value === undefined ? '' : showValue(value);
    problems.push({ file, pointer, message: shown ? `${message} (got ${shown})` : message, severity: 'error' });
  };
  const ms = (v: unknown): number | undefined => (typeof v === 'string' && v !== '' ? parseGoDuration(v) : undefined);
  const timeout = ms(options.timeout);
  if (timeout !== undefined && timeout <= 0) problem(at('timeout'), 'must be a positive Go duration', options.timeout);
  if (Array.isArray(options.retry_schedule)) {
    options.retry_schedule.forEach((v, i) => {
      const delay = ms(v);
      if (delay !== undefined && delay < 0) problem(at('retry_schedule', i), 'must be a non-negative Go duration', v);
    });
  }
  if (Array.isArray(options.allow_networks)) {
    const entries = options.allow_networks as unknown[];
    const strings = entries.map((e, index) => ({ e, index })).filter((x) => typeof x.e === 'string' && x.e !== '');
    for (const p of parseAllowNetworks(strings.map((x) => x.e as string)).problems) problem(at('allow_networks', strings[p.index]!.index), p.message, p.entry);
  }
  const signing = options.signing as { secret?: unknown; previous_secrets?: unknown } | undefined;
  if (signing !== null && typeof signing === 'object') {
    const check = (secret: unknown, pointer: string): void => {
      if (typeof secret !== 'string' || !SECRET.test(secret)) return; // the schema's pattern reports it
      try {
        decodeSigningSecret(secret);
      } catch {
        problem(pointer, 'must be whsec_ followed by a base64 secret'); // the secret itself is not echoed
      }
    };
    check(signing.secret, at('signing', 'secret'));
    if (Array.isArray(signing.previous_secrets)) signing.previous_secrets.forEach((s, i) => check(s, at('signing', 'previous_secrets', i)));
  }
  return problems;
}
