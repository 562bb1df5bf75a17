/** A tiny element builder: h('tr', {class: 'x', onclick}, child, 'text'). Text is always set as text. */
export type Child = Node | string | number | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value as EventListener);
    else if (key === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else if (key === 'checked') (el as HTMLInputElement).checked = value === true;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function badge(text: string, kind = ''): HTMLSpanElement {
  return h('span', { class: `badge ${kind}` }, text);
}

export function time(ms: number | string): string {
  const d = new Date(ms);
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

let toastTimer: number | undefined;
export function toast(message: string, bad = false): void {
  const el = document.getElementById('toast')!;
  el.textContent = message;
  el.className = bad ? 'toast bad' : 'toast';
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (el.hidden = true), bad ? 6000 : 3000);
}

export function outcomeBadge(outcome: string, code?: number): HTMLSpanElement {
  const kind = outcome === 'delivered' ? 'ok' : outcome === 'retrying' ? 'warn' : outcome === 'failed' || outcome === 'gone' ? 'bad' : '';
  return badge(code !== undefined ? `${outcome} ${code}` : outcome, kind);
}
