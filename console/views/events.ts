/**
 * Live events: server-sent events read through fetch (so the bearer token can be sent), filtered by
 * API and type. `x-firehook-client: console` puts the stream in the slots the server keeps for the console.
 */
import { api, authHeaders } from '../api.ts';
import { badge, clear, h, time } from '../dom.ts';

interface Fired {
  time: string;
  api_id: string;
  type: string;
  matched: number;
  meta: Record<string, unknown>;
}

const MAX_ROWS = 300;

export async function renderEvents(main: HTMLElement, params: URLSearchParams): Promise<() => void> {
  const { types } = await api<{ types: string[] }>('GET', '/event-types');
  const apiInput = h('input', { name: 'api_id', placeholder: 'any API', value: params.get('api_id') ?? '' });
  const typeSelect = h(
    'select',
    { name: 'type' },
    h('option', { value: '' }, 'any type'),
    types.map((t) => h('option', { value: t, selected: params.get('type') === t }, t)),
  );
  const list = h('ul', { class: 'events', id: 'event-list' });
  const state = h('span', { class: 'muted', id: 'stream-state' }, 'connecting…');
  let controller: AbortController | undefined;
  let count = 0;

  const add = (e: Fired): void => {
    count++;
    if (list.firstElementChild?.classList.contains('empty')) list.replaceChildren();
    list.prepend(
      h(
        'li',
        {},
        h('span', { class: 'muted' }, time(e.time)),
        h('span', { class: 'mono' }, e.api_id || '(system)'),
        h('strong', {}, e.type),
        e.matched > 0 ? badge(`${e.matched} handler${e.matched === 1 ? '' : 's'}`, 'ok') : badge('unmatched'),
        h('code', {}, JSON.stringify(e.meta)),
      ),
    );
    while (list.children.length > MAX_ROWS) list.lastElementChild!.remove();
    state.textContent = `live · ${count} event${count === 1 ? '' : 's'}`;
  };

  const connect = async (): Promise<void> => {
    controller?.abort();
    controller = new AbortController();
    const q = new URLSearchParams();
    if (apiInput.value.trim()) q.set('api_id', apiInput.value.trim());
    if (typeSelect.value) q.set('type', typeSelect.value);
    clear(list, h('li', { class: 'empty' }, 'Waiting for events…'));
    count = 0;
    try {
      const res = await fetch(`/v1/admin/events/stream?${q}`, {
        headers: { ...authHeaders(), accept: 'text/event-stream', 'x-firehook-client': 'console' },
        signal: controller.signal,
      });
      if (!res.ok || !res.body) throw new Error(`stream refused (${res.status})`);
      state.textContent = 'live · 0 events';
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event === 'fired' && data) add(JSON.parse(data) as Fired);
          if (event === 'dropped' && data) state.textContent = `live · some events were dropped (${(JSON.parse(data) as { dropped: number }).dropped})`;
        }
      }
      state.textContent = 'stream ended';
    } catch (error) {
      if ((error as Error).name !== 'AbortError') state.textContent = `disconnected: ${(error as Error).message}`;
    }
  };

  clear(
    main,
    h('div', { class: 'row' }, h('h1', {}, 'Live events'), h('span', { class: 'spacer' }), state),
    h(
      'div',
      { class: 'panel row' },
      apiInput,
      typeSelect,
      h('button', { class: 'primary', onclick: () => void connect() }, 'Apply filter'),
      h('button', { onclick: () => clear(list) }, 'Clear'),
    ),
    h('div', { class: 'panel' }, list),
  );
  void connect();
  return () => controller?.abort();
}
