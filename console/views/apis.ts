import { api } from '../api.ts';
import { badge, clear, h } from '../dom.ts';

interface Handler {
  handler: string;
  plugin: string;
  event: string;
  apiId: string;
  queued: number;
  running: number;
  received: number;
  completed: number;
  failed: number;
  dropped: number;
  global_webhook?: { id: string; deleted: boolean; revision: number };
}

interface Listing {
  generation: number;
  apis: { api_id: string; org_id: string; name: string; format: string; file: string; handlers: Handler[] }[];
  system: Handler[];
}

function handlerTable(handlers: Handler[]): HTMLElement {
  if (handlers.length === 0) return h('p', { class: 'muted' }, 'No handlers.');
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Event'),
        h('th', {}, 'Handler'),
        h('th', {}, 'Plugin'),
        h('th', {}, 'Received'),
        h('th', {}, 'Completed'),
        h('th', {}, 'Failed'),
        h('th', {}, 'Dropped'),
        h('th', {}, 'Queued'),
      ),
    ),
    h(
      'tbody',
      {},
      handlers.map((x) =>
        h(
          'tr',
          {},
          h('td', {}, x.event),
          h(
            'td',
            {},
            h('span', { class: 'mono' }, x.handler),
            ' ',
            x.global_webhook
              ? x.global_webhook.deleted
                ? badge('deleted global → local copy', 'warn')
                : h('a', { href: `#/webhooks?id=${encodeURIComponent(x.global_webhook.id)}` }, badge(`global webhook r${x.global_webhook.revision}`, 'accent'))
              : null,
          ),
          h('td', {}, x.plugin),
          h('td', {}, x.received),
          h('td', {}, x.completed),
          h('td', {}, x.failed > 0 ? badge(String(x.failed), 'bad') : '0'),
          h('td', {}, x.dropped > 0 ? badge(String(x.dropped), 'warn') : '0'),
          h('td', {}, x.queued),
        ),
      ),
    ),
  );
}

export async function renderApis(main: HTMLElement): Promise<void> {
  const data = await api<Listing>('GET', '/apis');
  clear(
    main,
    h('div', { class: 'row' }, h('h1', {}, 'APIs and their handlers'), h('span', { class: 'spacer' }), badge(`generation ${data.generation}`, 'info')),
    data.apis.map((a) =>
      h(
        'section',
        { class: 'panel', 'data-api': a.api_id },
        h(
          'div',
          { class: 'row' },
          h('h2', {}, a.name),
          h('span', { class: 'mono muted' }, a.api_id),
          badge(a.format),
          a.org_id ? badge(`org ${a.org_id}`) : null,
          h('span', { class: 'spacer' }),
          h('a', { href: `#/deliveries?api_id=${encodeURIComponent(a.api_id)}` }, 'deliveries'),
          h('a', { href: `#/events?api_id=${encodeURIComponent(a.api_id)}` }, 'live events'),
        ),
        h('p', { class: 'muted mono' }, a.file),
        handlerTable(a.handlers),
      ),
    ),
    h('section', { class: 'panel' }, h('h2', {}, 'Gateway-level handlers (system events, every API)'), handlerTable(data.system)),
  );
}
