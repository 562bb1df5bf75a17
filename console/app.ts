/**
 * The Firehook console: a hash-routed single page over the admin API. Each view renders into
 * <main> and may return a cleanup function (live stream, auto-refresh).
 */
import { api, ApiError, setToken, token } from './api.ts';
import { clear, h, toast } from './dom.ts';
import { renderApis } from './views/apis.ts';
import { renderDeadLetters } from './views/dead-letters.ts';
import { renderDeliveries } from './views/deliveries.ts';
import { renderEvents } from './views/events.ts';
import { renderWebhooks } from './views/webhooks.ts';

export type View = (main: HTMLElement, params: URLSearchParams) => Promise<(() => void) | void>;

const VIEWS: Record<string, View> = {
  apis: renderApis,
  webhooks: renderWebhooks,
  events: renderEvents,
  deliveries: renderDeliveries,
  'dead-letters': renderDeadLetters,
};

let cleanup: (() => void) | void;

async function route(): Promise<void> {
  const [page = 'apis', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const view = VIEWS[page] ?? renderApis;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) a.classList.toggle('active', a.dataset.page === page);
  cleanup?.();
  cleanup = undefined;
  document.getElementById('toast')!.hidden = true;
  const main = document.getElementById('main')!;
  try {
    cleanup = await view(main, new URLSearchParams(query));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return login(main);
    clear(
      main,
      h('div', { class: 'panel' }, h('h2', {}, 'Could not load this page'), h('p', { class: 'muted' }, error instanceof Error ? error.message : String(error))),
    );
  }
  void refreshStatus();
}

function login(main: HTMLElement): void {
  const input = h('input', { type: 'password', id: 'token', placeholder: 'admin_secret', autocomplete: 'current-password' });
  const form = h(
    'form',
    {
      class: 'panel login',
      onsubmit: (e: Event) => {
        e.preventDefault();
        setToken(input.value);
        void route();
      },
    },
    h('h2', {}, 'Admin token'),
    h('p', { class: 'muted' }, 'This Firehook requires its admin_secret as a bearer token. It is kept in this tab only.'),
    h('div', { class: 'row' }, input, h('button', { class: 'primary', type: 'submit' }, 'Sign in')),
    token() ? h('p', { class: 'problems' }, 'That token was refused.') : null,
  );
  clear(main, form);
  input.focus();
}

async function refreshStatus(): Promise<void> {
  try {
    const s = await api<{ generation: number; store: string; durable: boolean; apis: number; handlers: number; global_webhooks: { count: number } }>(
      'GET',
      '/status',
    );
    document.getElementById('status')!.textContent =
      `generation ${s.generation} · ${s.apis} APIs · ${s.handlers} handlers · ${s.global_webhooks.count} global webhooks · ${s.store}${s.durable ? ' (durable)' : ''}`;
  } catch {
    document.getElementById('status')!.textContent = '';
  }
}

window.addEventListener('hashchange', () => void route());
window.setInterval(() => void refreshStatus(), 5000);
window.addEventListener('firehook:changed', () => void refreshStatus());
window.addEventListener('unhandledrejection', (e) => toast(e.reason instanceof Error ? e.reason.message : String(e.reason), true));
void route();
