/** The delivery log: recent attempts with per-attempt detail; failed deliveries can be replayed from their dead letter. */
import { api, type Attempt } from '../api.ts';
import { badge, clear, h, outcomeBadge, time, toast } from '../dom.ts';

const FILTERS = ['handler', 'api_id', 'event', 'delivery'] as const;

function detail(a: Attempt, after: () => void): HTMLElement {
  const dead = a.outcome === 'failed' || a.outcome === 'gone';
  return h(
    'div',
    { class: 'panel', id: 'attempt-detail' },
    h(
      'div',
      { class: 'row' },
      h('h2', {}, `Attempt ${a.attempt} of ${a.deliveryId}`),
      h('span', { class: 'spacer' }),
      dead
        ? h(
            'button',
            {
              class: 'primary',
              id: 'replay-delivery',
              onclick: async () => {
                const r = await api<{ replayed: string[] }>('POST', `/deliveries/dead-letters/${encodeURIComponent(a.deliveryId)}/replay`);
                toast(`Replayed ${r.replayed.join(', ')}`);
                after();
              },
            },
            'Replay',
          )
        : null,
    ),
    h(
      'dl',
      { class: 'detail' },
      h('dt', {}, 'When'),
      h('dd', {}, time(a.at)),
      h('dt', {}, 'Outcome'),
      h('dd', {}, outcomeBadge(a.outcome, a.responseCode)),
      h('dt', {}, 'Duration'),
      h('dd', {}, `${a.durationMs} ms`),
      h('dt', {}, 'Request'),
      h('dd', { class: 'mono' }, `${a.method} ${a.url}`),
      h('dt', {}, 'Handler'),
      h('dd', { class: 'mono' }, `${a.handler} (${a.plugin})`),
      h('dt', {}, 'API / event'),
      h('dd', {}, `${a.apiId || '(system)'} / ${a.eventType}`),
      a.error ? [h('dt', {}, 'Error'), h('dd', { class: 'mono' }, a.error)] : null,
      a.nextAttemptAt ? [h('dt', {}, 'Next attempt'), h('dd', {}, time(a.nextAttemptAt))] : null,
      h('dt', {}, 'Response body'),
      h('dd', {}, a.responseBody ? h('pre', {}, a.responseBody) : h('span', { class: 'muted' }, '(none)')),
    ),
  );
}

export async function renderDeliveries(main: HTMLElement, params: URLSearchParams): Promise<() => void> {
  const inputs = Object.fromEntries(FILTERS.map((f) => [f, h('input', { name: f, placeholder: f.replace('_', ' '), value: params.get(f) ?? '' })])) as Record<
    (typeof FILTERS)[number],
    HTMLInputElement
  >;
  const auto = h('input', { type: 'checkbox', checked: true, id: 'auto-refresh' });
  const body = h('tbody', {});
  const slot = h('div', {});
  let selected: string | undefined;
  let stopped = false;

  const load = async (): Promise<void> => {
    const q = new URLSearchParams();
    for (const f of FILTERS) if (inputs[f].value.trim()) q.set(f, inputs[f].value.trim());
    q.set('limit', '200');
    const { attempts } = await api<{ attempts: Attempt[] }>('GET', `/deliveries/attempts?${q}`);
    clear(
      body,
      attempts.length === 0
        ? h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No attempts recorded.'))
        : attempts.map((a) => {
            const key = `${a.deliveryId}#${a.attempt}`;
            return h(
              'tr',
              {
                class: `clickable${key === selected ? ' selected' : ''}`,
                'data-delivery': a.deliveryId,
                'data-outcome': a.outcome,
                onclick: (e: Event) => {
                  selected = key;
                  clear(
                    slot,
                    detail(a, () => void load()),
                  );
                  for (const tr of body.querySelectorAll('tr')) tr.classList.toggle('selected', tr === e.currentTarget);
                },
              },
              h('td', {}, time(a.at)),
              h('td', { class: 'mono' }, a.deliveryId, a.attempt > 1 ? h('span', { class: 'muted' }, ` #${a.attempt}`) : null),
              h('td', { class: 'mono' }, a.handler),
              h('td', {}, a.apiId || '(system)'),
              h('td', {}, a.eventType),
              h('td', { class: 'mono' }, `${a.method} ${a.url}`),
              h('td', {}, outcomeBadge(a.outcome, a.responseCode)),
              h('td', {}, `${a.durationMs} ms`),
            );
          }),
    );
  };
  const timer = window.setInterval(() => {
    if (auto.checked && !stopped) void load();
  }, 2000);

  clear(
    main,
    h('div', { class: 'row' }, h('h1', {}, 'Delivery log'), h('span', { class: 'spacer' }), h('label', { class: 'row' }, auto, 'auto-refresh')),
    h(
      'div',
      { class: 'panel row' },
      FILTERS.map((f) => inputs[f]),
      h('button', { class: 'primary', onclick: () => void load() }, 'Apply'),
      badge('newest first'),
    ),
    slot,
    h(
      'table',
      { id: 'attempts' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Time', 'Delivery', 'Handler', 'API', 'Event', 'Request', 'Outcome', 'Duration'].map((t) => h('th', {}, t)),
        ),
      ),
      body,
    ),
  );
  await load();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
