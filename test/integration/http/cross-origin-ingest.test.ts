/**
 * A page on another origin tries to inject events into a server without ingest_secret, in real
 * Chromium: `fetch` no-cors with a typeless Blob and with a JSON Blob, `sendBeacon` with a typeless
 * Blob and a string, and a `text/plain` form post shaped into JSON. The pages come from a second HTTP
 * server on 127.0.0.1 (another port) and from `localhost` on that port. Every attempt must reach the
 * server (its answer is seen on the wire) and none may be handled: a legitimate event flushed
 * afterwards through the same handler queue is the only one the log handler prints.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithChromium, launchChromium, type LaunchedChromium } from '../../helpers/chromium.ts';
import { eventually } from '../../helpers/poll.ts';
import { ingestSetup, type IngestSetup } from './helpers.ts';

/** The attacking page: five attempts, each with its own key marker (`<prefix>1` … `<prefix>5`). */
function attackPage(target: string, prefix: string): string {
  const ev = (n: number): string => JSON.stringify({ api_id: 'guarded', type: 'AuthFailure', meta: { Message: 'forged', Key: `forged-${prefix}${n}` } });
  // text/plain form: name "=" value, shaped so the whole body is one JSON object
  const formName = ev(5).slice(0, -2) + ',"pad":"';
  return `<!doctype html><html><body>
<iframe name="sink" id="sink"></iframe>
<form id="f" method="POST" action="${target}" enctype="text/plain" target="sink"><input type="hidden" name='${formName.replace(/'/g, '&#39;')}' value='"}}'></form>
<script>
(async () => {
  const target = ${JSON.stringify(target)};
  const results = [];
  try { await fetch(target, { method: 'POST', mode: 'no-cors', body: new Blob([${JSON.stringify(ev(1))}]) }); results.push('fetch-typeless'); } catch (e) { results.push('fetch-typeless:' + e.message); }
  try { await fetch(target, { method: 'POST', mode: 'no-cors', body: new Blob([${JSON.stringify(ev(2))}], { type: 'application/json' }) }); results.push('fetch-json'); } catch (e) { results.push('fetch-json:' + e.message); }
  results.push('beacon-typeless:' + navigator.sendBeacon(target, new Blob([${JSON.stringify(ev(3))}])));
  results.push('beacon-string:' + navigator.sendBeacon(target, ${JSON.stringify(ev(4))}));
  document.getElementById('sink').addEventListener('load', () => { window.attackDone = results; }, { once: true });
  document.getElementById('f').submit();
})();
</script></body></html>`;
}

describeWithChromium('cross-origin ingestion in Chromium (no ingest_secret)', () => {
  let s: IngestSetup;
  let pages: Server;
  let pagePort: number;
  let browser: LaunchedChromium;
  let page: Page;
  const answers: { url: string; status: number; method: string }[] = [];

  beforeAll(async () => {
    s = await ingestSetup();
    const target = `${s.h.url}/v1/events`;
    pages = createServer((req, res) => {
      const prefix = (req.url ?? '').includes('localhost') || (req.headers.host ?? '').startsWith('localhost') ? 'L' : 'I';
      const body = attackPage(target, `${prefix}00`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagePort = (pages.address() as AddressInfo).port;
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    browser.context.on('response', (r) => {
      if (r.url().startsWith(target)) answers.push({ url: r.url(), status: r.status(), method: r.request().method() });
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
    await s?.close();
  });

  async function attackFrom(origin: string, count: number): Promise<void> {
    const before = answers.length;
    await page.goto(`${origin}/attack`);
    const results = await page.waitForFunction(() => (globalThis as unknown as { attackDone?: string[] }).attackDone, undefined, { timeout: 15_000 });
    expect(await results.jsonValue()).toEqual(['fetch-typeless', 'fetch-json', 'beacon-typeless:true', 'beacon-string:true']);
    // every attempt reached the server and was refused there
    const seen = await eventually(
      () => (answers.length - before >= count ? answers.slice(before) : undefined),
      () => `${count} answers from /v1/events (have ${answers.length - before})`,
    );
    expect(
      seen.map((a) => a.status).every((st) => st === 403 || st === 415),
      JSON.stringify(seen),
    ).toBe(true);
  }

  it('refuses no-cors fetch, sendBeacon and a form post from a page on another port of 127.0.0.1', async () => {
    await attackFrom(`http://127.0.0.1:${pagePort}`, 5);
    await s.flush('browser-flush-0901');
    expect(s.handledKeys()).toEqual(['****0901']);
  });

  it('refuses them from a page on localhost (another origin naming the same machine)', async () => {
    await attackFrom(`http://localhost:${pagePort}`, 5);
    await s.flush('browser-flush-0902');
    expect(s.handledKeys()).toEqual(['****0901', '****0902']);
  });
});
