/**
 * The web console in Debian's Chromium (headless, through playwright-core): create a global
 * webhook, reference it from an API, fire an event, watch it on the live stream, see the failed
 * delivery and its dead letter, replay it and see it delivered. With FIREHOOK_SCREENSHOTS=1 it
 * also refreshes docs/console-*.png.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithChromium, launchChromium, type LaunchedChromium } from '../../helpers/chromium.ts';

import { ROOT, startServer, type CliProcess } from '../../helpers/cli.ts';
import { startSink, type Sink } from '../delivery/helpers.ts';
import { oasApi, startHarness, workspace, type Workspace } from '../admin/helpers.ts';
import { eventually } from '../../helpers/poll.ts';

const SHOTS = process.env.FIREHOOK_SCREENSHOTS === '1';

let sink: Sink;
let failing = true;
let ws: Workspace;
let server: CliProcess & { url: string };
let browser: LaunchedChromium;
let context: BrowserContext;
let page: Page;

async function shot(name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(ROOT, 'docs', `console-${name}.png`), fullPage: false });
}

describeWithChromium('web console', () => {
  beforeAll(async () => {
    sink = await startSink(() => (failing ? { status: 500, body: '{"error":"receiver down"}' } : { status: 200, body: 'received' }));
    ws = await workspace({
      memory: true,
      gateway: { webhooks: { retry_schedule: [] }, admin_secret: '' },
      apis: {
        'petstore.json': {
          api_id: 'petstore',
          org_id: 'acme',
          name: 'Petstore',
          event_handlers: { events: { AuthFailure: [{ handler_name: 'eh_log_handler', handler_meta: { prefix: 'petstore' } }] } },
        },
      },
    });
    server = await startServer(['--config', ws.config]);
    browser = await launchChromium();
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    // two more webhooks, so the pages show more than one row
    for (const w of [
      { id: 'billing-audit', name: 'Billing audit trail', url: 'https://audit.example.com/firehook', method: 'PUT', cooldownPeriod: '1m' },
      { id: 'security-pager', name: 'Security pager', url: 'https://pager.example.com/v2/enqueue', method: 'POST', cooldownPeriod: '30s' },
    ]) {
      const res = await fetch(`${server.url}/v1/admin/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(w) });
      expect(res.status).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop('SIGKILL');
    await sink?.close();
    await ws?.cleanup();
  });

  async function fire(key: string): Promise<void> {
    const res = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        api_id: 'orders',
        type: 'RatelimitExceeded',
        meta: { Message: 'API Rate Limit Exceeded', Path: '/orders/1', Origin: '203.0.113.9', Key: key },
      }),
    });
    expect(res.status).toBe(202);
  }

  describe('web console in Chromium', () => {
    it("creates a global webhook through the form, with the server's problems shown on a bad URL", async () => {
      await page.goto(`${server.url}/console/#/webhooks`);
      await page.click('#new-webhook');
      await page.fill('#webhook-form input[name=id]', 'ops-alerts');
      await page.fill('#webhook-form input[name=name]', 'Ops alerts');
      await page.fill('#webhook-form input[name=url]', 'ftp://wrong');
      await page.fill('#webhook-form textarea[name=headers]', 'X-Team: ops');
      await page.fill('#webhook-form input[name=cooldownPeriod]', '0s');
      await page.click('#webhook-form button[type=submit]');
      await page.waitForSelector('#webhook-form .problems li');
      expect(await page.textContent('#webhook-form .problems')).toContain('/url: must be an absolute http:// or https:// URL');
      await page.fill('#webhook-form input[name=url]', `${sink.url}/ops`);
      await page.click('#webhook-form button[type=submit]');
      await page.waitForSelector('#webhooks tr[data-id="ops-alerts"]');
      await shot('webhooks');
      const stored = await (await fetch(`${server.url}/v1/admin/webhooks/ops-alerts`)).json();
      expect(stored).toMatchObject({ id: 'ops-alerts', url: `${sink.url}/ops`, method: 'POST', headers: [{ name: 'X-Team', value: 'ops' }] });
    });

    it('lists an API that references the webhook once its definition is added (hot reload)', async () => {
      await ws.writeApi(
        'orders.json',
        oasApi('orders', [{ enabled: true, trigger: 'RatelimitExceeded', type: 'webhook', id: 'ops-alerts', cooldownPeriod: '0s' }]),
      );
      await eventually(
        async () => ((await (await fetch(`${server.url}/v1/admin/apis/orders`)).json()) as { handlers?: unknown[] }).handlers?.length === 1,
        'reload with the orders API',
      );
      await page.goto(`${server.url}/console/#/apis`);
      await page.waitForSelector('section[data-api="orders"] .badge.accent');
      expect(await page.textContent('section[data-api="orders"]')).toContain('global webhook r1');
      await shot('apis');
    });

    it('shows a fired event on the live stream', async () => {
      await page.goto(`${server.url}/console/#/events`);
      await page.waitForSelector('#stream-state:text("live")');
      for (const type of ['AuthFailure', 'KeyExpired', 'QuotaExceeded']) {
        const res = await fetch(`${server.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ api_id: 'petstore', type, meta: { Message: type, Path: '/pets/7', Origin: '198.51.100.4', Key: 'petstore-key-9876' } }),
        });
        expect(res.status).toBe(202);
      }
      await page.waitForSelector('#event-list li:has-text("QuotaExceeded")');
      await fire('key-e2e-0001');
      await page.waitForSelector('#event-list li:has-text("RatelimitExceeded")');
      const row = await page.textContent('#event-list li');
      expect(row).toContain('orders');
      expect(row).toContain('****0001');
      expect(row).not.toContain('key-e2e-0001');
      await shot('events');
    });

    it('shows the failed delivery with its attempt detail and dead letter, replays it and shows it delivered', async () => {
      await page.goto(`${server.url}/console/#/deliveries`);
      const failed = page.locator('#attempts tr[data-outcome="failed"]').first();
      await failed.waitFor();
      expect(await failed.textContent()).toContain('failed 500');
      await failed.click();
      await page.waitForSelector('#attempt-detail');
      expect(await page.textContent('#attempt-detail')).toContain('receiver down');
      await shot('deliveries');
      const deliveryId = await failed.getAttribute('data-delivery');

      await page.goto(`${server.url}/console/#/dead-letters`);
      await page.waitForSelector(`#dead-letters tr[data-id="${deliveryId}"]`);
      await page.click(`#dead-letters tr[data-id="${deliveryId}"]`);
      await page.waitForSelector('#dead-letter-detail');
      expect(await page.textContent('#dead-letter-detail')).toContain('"event": "RatelimitExceeded"');
      await shot('dead-letters');

      failing = false;
      await page.goto(`${server.url}/console/#/deliveries?delivery=${deliveryId}`);
      await page.locator('#attempts tr[data-outcome="failed"]').first().click();
      await page.click('#replay-delivery');
      await page.waitForSelector(`#attempts tr[data-delivery="${deliveryId}"][data-outcome="delivered"]`, { timeout: 10_000 });
      expect(sink.received.filter((r) => r.url === '/ops')).toHaveLength(2);
      expect(sink.received.at(-1)!.headers['x-team']).toBe('ops');
      await page.goto(`${server.url}/console/#/dead-letters`);
      await page.waitForSelector('.empty:text("No dead letters.")');
    });

    it('edits a webhook, test-fires it and deletes another from the webhooks page', async () => {
      await page.goto(`${server.url}/console/#/webhooks`);
      await page.click('#webhooks tr[data-id="ops-alerts"] button:text("Edit")');
      await page.fill('#webhook-form textarea[name=headers]', 'X-Team: ops\nX-Env: staging');
      await page.click('#webhook-form button[type=submit]');
      await page.waitForSelector('#webhooks tr[data-id="ops-alerts"]:has-text("r2")');
      await page.click('#webhooks tr[data-id="ops-alerts"] button:text("Test-fire")');
      await page.selectOption('#test-fire select[name=type]', 'HostDown');
      await page.click('#test-fire button:text("Send sample event")');
      await page.waitForSelector('#test-fire .badge.ok');
      expect(await page.textContent('#test-fire')).toContain('delivered 200');
      const sample = sink.received.at(-1)!;
      expect(sample.headers['x-env']).toBe('staging');
      expect(JSON.parse(sample.body)).toMatchObject({ event: 'HostDown' });

      page.once('dialog', (dialog) => void dialog.accept());
      await page.click('#webhooks tr[data-id="billing-audit"] button:text("Delete")');
      await page.waitForSelector('#webhooks tr[data-id="billing-audit"]', { state: 'detached' });
      expect((await fetch(`${server.url}/v1/admin/webhooks/billing-audit`)).status).toBe(200);
      expect(((await (await fetch(`${server.url}/v1/admin/webhooks`)).json()) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).toEqual([
        'ops-alerts',
        'security-pager',
      ]);
    });
  });

  describe('web console with admin_secret', () => {
    it('asks for the token, then loads pages and the live stream with it as a bearer token', async () => {
      const secured = await workspace({
        memory: true,
        gateway: { admin_secret: 'e2e-secret' },
        apis: { 'p.json': { api_id: 'pets', event_handlers: { events: { AuthFailure: [{ handler_name: 'eh_log_handler', handler_meta: {} }] } } } },
      });
      const h = await startHarness(secured.config);
      const tab = await context.newPage();
      try {
        await tab.goto(`${h.url}/console/#/apis`);
        await tab.waitForSelector('#token');
        await tab.fill('#token', 'wrong');
        await tab.click('form.login button[type=submit]');
        await tab.waitForSelector('form.login .problems');
        await tab.fill('#token', 'e2e-secret');
        await tab.click('form.login button[type=submit]');
        await tab.waitForSelector('section[data-api="pets"]');
        await tab.goto(`${h.url}/console/#/events?type=AuthFailure`);
        await tab.waitForSelector('#stream-state:text("live")');
        h.runtime.fire('pets', 'AuthFailure', { Message: 'm', Key: 'bearer-key-4321' });
        await tab.waitForSelector('#event-list li:has-text("****4321")');
      } finally {
        await tab.close();
        await h.close();
        await secured.cleanup();
      }
    });
  });
});
