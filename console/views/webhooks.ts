/** Global webhooks: list, create, edit, delete, test-fire. */
import { api, ApiError, type Attempt, type GlobalWebhook } from '../api.ts';
import { badge, clear, h, outcomeBadge, time, toast } from '../dom.ts';

const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'];

function field(label: string, input: HTMLElement, wide = false): HTMLLabelElement {
  return h('label', { class: wide ? 'wide' : '' }, label, input);
}

function headersText(w: GlobalWebhook | undefined): string {
  return (w?.headers ?? []).map((x) => `${x.name}: ${x.value}`).join('\n');
}

/** Form -> definition; keys left empty are omitted so the server defaults apply. */
function readForm(form: HTMLFormElement): Record<string, unknown> {
  const v = (name: string): string => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
  const out: Record<string, unknown> = { url: v('url'), method: v('method') };
  for (const key of ['id', 'name', 'bodyTemplate', 'cooldownPeriod', 'timeout']) if (v(key) !== '') out[key] = v(key);
  const headers = v('headers')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const i = l.indexOf(':');
      return i < 0 ? { name: l, value: '' } : { name: l.slice(0, i).trim(), value: l.slice(i + 1).trim() };
    });
  if (headers.length > 0) out.headers = headers;
  const schedule = v('retry_schedule');
  if (schedule !== '') out.retry_schedule = schedule.split(/[\s,]+/).filter(Boolean);
  const privateNetworks = v('deny_private_networks');
  if (privateNetworks !== '') out.deny_private_networks = privateNetworks === 'deny';
  return out;
}

function editor(existing: GlobalWebhook | undefined, done: () => void): HTMLElement {
  const problems = h('ul', { class: 'problems' });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'panel',
      id: 'webhook-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        clear(problems);
        const body = readForm(form);
        try {
          if (existing) {
            const keep = Object.fromEntries(Object.entries(existing).filter(([k]) => ['signing', 'allow_networks', 'tyk_compat_escaping'].includes(k)));
            await api('PUT', `/webhooks/${encodeURIComponent(existing.id)}`, { ...keep, ...body, id: existing.id });
            toast(`Saved ${existing.id}`);
          } else {
            const created = await api<GlobalWebhook>('POST', '/webhooks', body);
            toast(`Created ${created.id}`);
          }
          done();
        } catch (error) {
          if (error instanceof ApiError)
            clear(
              problems,
              (error.problems.length > 0 ? error.problems : [error.message]).map((p) => h('li', {}, p)),
            );
          else throw error;
        }
      },
    },
    h('h2', {}, existing ? `Edit ${existing.id} (revision ${existing.revision})` : 'New global webhook'),
    h(
      'div',
      { class: 'form' },
      field('Id', h('input', { name: 'id', value: existing?.id ?? '', placeholder: 'generated when empty', disabled: existing !== undefined })),
      field('Name', h('input', { name: 'name', value: existing?.name ?? '' })),
      field('URL', h('input', { name: 'url', value: existing?.url ?? '', placeholder: 'https://hooks.example.com/firehook', required: true }), true),
      field(
        'Method',
        h(
          'select',
          { name: 'method' },
          METHODS.map((m) => h('option', { value: m, selected: (existing?.method ?? 'POST') === m }, m)),
        ),
      ),
      field('Cooldown (Go duration)', h('input', { name: 'cooldownPeriod', value: existing?.cooldownPeriod ?? '', placeholder: 'e.g. 10s; empty: none' })),
      field(
        'Body template (path)',
        h('input', { name: 'bodyTemplate', value: existing?.bodyTemplate ?? '', placeholder: 'empty: templates/default_webhook.json' }),
      ),
      field('Timeout', h('input', { name: 'timeout', value: existing?.timeout ?? '', placeholder: '30s' })),
      field(
        'Retry schedule',
        h('input', { name: 'retry_schedule', value: (existing?.retry_schedule ?? []).join(', '), placeholder: 'e.g. 5s, 1m, 10m; empty: default' }),
      ),
      field(
        'Private networks',
        h(
          'select',
          { name: 'deny_private_networks' },
          [
            ['', 'gateway default'],
            ['deny', 'deny'],
            ['allow', 'allow (only if the gateway allows them)'],
          ].map(([value, label]) =>
            h(
              'option',
              { value, selected: (existing?.deny_private_networks === undefined ? '' : existing.deny_private_networks ? 'deny' : 'allow') === value },
              label,
            ),
          ),
        ),
      ),
      field('Headers (one "Name: value" per line)', h('textarea', { name: 'headers' }, headersText(existing)), true),
    ),
    problems,
    h(
      'div',
      { class: 'row' },
      h('button', { class: 'primary', type: 'submit' }, existing ? 'Save' : 'Create'),
      h('button', { type: 'button', onclick: done }, 'Cancel'),
    ),
  );
  return form;
}

function tester(w: GlobalWebhook, types: string[]): HTMLElement {
  const type = h(
    'select',
    { name: 'type' },
    types.map((t) => h('option', { value: t, selected: t === 'AuthFailure' }, t)),
  );
  const apiId = h('input', { name: 'api_id', placeholder: 'API id (optional)' });
  const out = h('div', {});
  return h(
    'div',
    { class: 'panel', id: 'test-fire' },
    h('h2', {}, `Test-fire ${w.id}`),
    h(
      'div',
      { class: 'row' },
      type,
      apiId,
      h(
        'button',
        {
          class: 'primary',
          onclick: async (e: Event) => {
            (e.target as HTMLButtonElement).disabled = true;
            try {
              const r = await api<{
                status: string;
                detail?: string;
                deliveryId?: string;
                attempts: Attempt[];
                response?: { status: number; body: string; truncated: boolean };
              }>('POST', `/webhooks/${encodeURIComponent(w.id)}/test`, { type: type.value, ...(apiId.value ? { api_id: apiId.value } : {}) });
              const a = r.attempts[0];
              clear(
                out,
                h(
                  'p',
                  {},
                  badge(r.status, 'info'),
                  ' ',
                  r.deliveryId ? h('a', { href: `#/deliveries?delivery=${r.deliveryId}`, class: 'mono' }, r.deliveryId) : (r.detail ?? ''),
                ),
                a
                  ? h(
                      'p',
                      {},
                      'First attempt: ',
                      outcomeBadge(a.outcome, a.responseCode),
                      ` in ${a.durationMs} ms`,
                      a.error ? h('span', { class: 'muted' }, ` — ${a.error}`) : null,
                    )
                  : h('p', { class: 'muted' }, 'No attempt recorded yet.'),
                r.response
                  ? h(
                      'div',
                      { class: 'response' },
                      h('p', { class: 'muted' }, `Response ${r.response.status}, body${r.response.truncated ? ' (first 2 KiB)' : ''}, credentials redacted:`),
                      h('pre', {}, r.response.body),
                    )
                  : null,
              );
            } catch (error) {
              // e.g. the egress policy refused the target: nothing was sent
              if (!(error instanceof ApiError)) throw error;
              clear(
                out,
                h(
                  'p',
                  { class: 'refusal' },
                  badge(error.status === 403 ? 'refused' : 'error', 'bad'),
                  ' ',
                  h('span', { class: 'mono' }, error.code),
                  ' ',
                  error.message,
                ),
              );
            } finally {
              (e.target as HTMLButtonElement).disabled = false;
            }
          },
        },
        'Send sample event',
      ),
    ),
    out,
  );
}

export async function renderWebhooks(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const [{ webhooks }, { types }] = await Promise.all([
    api<{ webhooks: GlobalWebhook[] }>('GET', '/webhooks'),
    api<{ types: string[] }>('GET', '/event-types'),
  ]);
  const slot = h('div', {});
  const reload = (): void => void renderWebhooks(main, new URLSearchParams());
  const rows = webhooks.map((w) =>
    h(
      'tr',
      { 'data-id': w.id, class: params.get('id') === w.id ? 'selected' : '' },
      h('td', {}, h('strong', {}, w.name ?? w.id), h('div', { class: 'mono muted' }, w.id)),
      h('td', {}, badge(w.method || 'GET'), ' ', h('span', { class: 'mono' }, w.url)),
      h('td', {}, w.cooldownPeriod || '—'),
      h('td', {}, String(w.references?.length ?? 0)),
      h('td', {}, `r${w.revision}`, h('div', { class: 'muted' }, time(w.updatedAt))),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'row' },
          h('button', { onclick: () => clear(slot, editor(w, reload)) }, 'Edit'),
          h('button', { onclick: () => clear(slot, tester(w, types)) }, 'Test-fire'),
          h('a', { class: 'button', href: `#/deliveries?handler=${encodeURIComponent(w.id)}` }, 'Deliveries'),
          h(
            'button',
            {
              class: 'danger',
              onclick: async () => {
                if (!confirm(`Delete global webhook ${w.id}? APIs that use it keep its last definition as a local webhook.`)) return;
                await api('DELETE', `/webhooks/${encodeURIComponent(w.id)}`);
                toast(`Deleted ${w.id}`);
                reload();
              },
            },
            'Delete',
          ),
        ),
      ),
    ),
  );
  clear(
    main,
    h(
      'div',
      { class: 'row' },
      h('h1', {}, 'Global webhooks'),
      h('span', { class: 'spacer' }),
      h('button', { class: 'primary', id: 'new-webhook', onclick: () => clear(slot, editor(undefined, reload)) }, 'New webhook'),
    ),
    h(
      'p',
      { class: 'muted' },
      'Reference one from an API definition by id: OAS {"type": "webhook", "id": "…", "cooldownPeriod": "10s"}, Classic handler_meta {"id": "…"}. Changes reach every API at once; no reload needed.',
    ),
    slot,
    webhooks.length === 0
      ? h('div', { class: 'panel empty' }, 'No global webhooks yet.')
      : h(
          'table',
          { id: 'webhooks' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Webhook', 'Target', 'Cooldown', 'Used by', 'Revision', ''].map((t) => h('th', {}, t)),
            ),
          ),
          h('tbody', {}, rows),
        ),
  );
}
