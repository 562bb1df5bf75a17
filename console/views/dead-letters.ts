/** Dead letters: deliveries that failed finally; replay one, a selection, or all. */
import { api, type DeadLetter } from '../api.ts';
import { badge, clear, h, time, toast } from '../dom.ts';

export async function renderDeadLetters(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const q = new URLSearchParams();
  for (const f of ['handler', 'api_id']) if (params.get(f)) q.set(f, params.get(f)!);
  const { dead_letters: letters } = await api<{ dead_letters: DeadLetter[] }>('GET', `/deliveries/dead-letters?${q}`);
  const chosen = new Set<string>();
  const slot = h('div', {});
  const reload = (): void => void renderDeadLetters(main, params);
  const replay = async (ids: string[] | 'all'): Promise<void> => {
    const r = await api<{ replayed: string[] | number }>('POST', '/deliveries/replay', ids === 'all' ? { all: true } : { ids });
    toast(`Replayed ${Array.isArray(r.replayed) ? r.replayed.length : r.replayed} deliveries`);
    reload();
  };
  const show = (d: DeadLetter): void =>
    clear(
      slot,
      h(
        'div',
        { class: 'panel', id: 'dead-letter-detail' },
        h(
          'div',
          { class: 'row' },
          h('h2', {}, d.id),
          h('span', { class: 'spacer' }),
          h('button', { class: 'primary', onclick: () => void replay([d.id]) }, 'Replay'),
        ),
        h(
          'dl',
          { class: 'detail' },
          h('dt', {}, 'Failed'),
          h('dd', {}, `${time(d.failedAt)} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'} (${d.reason})`),
          h('dt', {}, 'Last result'),
          h('dd', { class: 'mono' }, d.lastResponseCode !== undefined ? `HTTP ${d.lastResponseCode}` : (d.lastError ?? '')),
          h('dt', {}, 'Request'),
          h('dd', { class: 'mono' }, `${d.method} ${d.url}`),
          h('dt', {}, 'Headers'),
          h(
            'dd',
            {},
            h(
              'pre',
              {},
              Object.entries(d.headers)
                .map(([k, v]) => `${k}: ${v}`)
                .join('\n'),
            ),
          ),
          h('dt', {}, 'Body'),
          h('dd', {}, d.body ? h('pre', {}, d.body) : h('span', { class: 'muted' }, '(none)')),
        ),
      ),
    );
  clear(
    main,
    h(
      'div',
      { class: 'row' },
      h('h1', {}, 'Dead letters'),
      h('span', { class: 'spacer' }),
      h('button', { id: 'replay-selected', onclick: () => void replay([...chosen]) }, 'Replay selected'),
      h('button', { class: 'primary', id: 'replay-all', disabled: letters.length === 0, onclick: () => void replay('all') }, 'Replay all'),
    ),
    slot,
    letters.length === 0
      ? h('div', { class: 'panel empty' }, 'No dead letters.')
      : h(
          'table',
          { id: 'dead-letters' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['', 'Failed', 'Delivery', 'Reason', 'Attempts', 'Last result', 'Handler', 'API / event', 'Target'].map((t) => h('th', {}, t)),
            ),
          ),
          h(
            'tbody',
            {},
            letters.map((d) =>
              h(
                'tr',
                { class: 'clickable', 'data-id': d.id, onclick: () => show(d) },
                h(
                  'td',
                  {},
                  h('input', {
                    type: 'checkbox',
                    onclick: (e: Event) => {
                      e.stopPropagation();
                      if ((e.target as HTMLInputElement).checked) chosen.add(d.id);
                      else chosen.delete(d.id);
                    },
                  }),
                ),
                h('td', {}, time(d.failedAt)),
                h('td', { class: 'mono' }, d.id),
                h('td', {}, badge(d.reason, 'bad')),
                h('td', {}, d.attempts),
                h('td', { class: 'mono' }, d.lastResponseCode !== undefined ? String(d.lastResponseCode) : (d.lastError ?? '')),
                h('td', { class: 'mono' }, d.origin.handler),
                h('td', {}, `${d.origin.apiId || '(system)'} / ${d.origin.eventType}`),
                h('td', { class: 'mono' }, `${d.method} ${d.url}`),
              ),
            ),
          ),
        ),
  );
}
