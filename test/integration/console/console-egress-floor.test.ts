/**
 * The private-network floor through the web console in real Chromium: with the gateway denying
 * private networks, creating or editing a global webhook with `deny_private_networks: false` is
 * refused with the server's problem shown (in the form, and to a fetch from the console page with
 * the admin token), and test-firing a webhook on an internal 127.0.0.1 endpoint shows the policy
 * refusal while the endpoint sees no request.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithChromium, launchChromium, type LaunchedChromium } from '../../helpers/chromium.ts';
import { startSink, type Sink } from '../delivery/helpers.ts';
import { startHarness, workspace, type AdminHarness, type Workspace } from '../admin/helpers.ts';

const TOKEN = 'floor-e2e-secret';

let sink: Sink;
let ws: Workspace;
let h: AdminHarness;
let browser: LaunchedChromium;
let page: Page;

describeWithChromium('web console and the private-network floor', () => {
  beforeAll(async () => {
    sink = await startSink(() => ({ status: 200, body: '{"internal":"metadata-like secret"}' }));
    ws = await workspace({
      memory: true,
      gateway: { admin_secret: TOKEN, webhooks: { deny_private_networks: true, allow_networks: ['10.20.0.0/16'], retry_schedule: [] } },
    });
    h = await startHarness(ws.config);
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${h.url}/console/#/webhooks`);
    await page.waitForSelector('#token');
    await page.fill('#token', TOKEN);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('#new-webhook');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await sink?.close();
    await ws?.cleanup();
  });

  const admin = (path: string): Promise<Response> => fetch(`${h.url}/v1/admin${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });

  it('refuses to create a webhook that allows private networks, showing the server problem in the form', async () => {
    await page.click('#new-webhook');
    await page.fill('#webhook-form input[name=id]', 'internal');
    await page.fill('#webhook-form input[name=url]', `${sink.url}/internal`);
    await page.selectOption('#webhook-form select[name=deny_private_networks]', 'allow');
    await page.click('#webhook-form button[type=submit]');
    await page.waitForSelector('#webhook-form .problems li');
    const shown = await page.textContent('#webhook-form .problems');
    expect(shown).toContain('/deny_private_networks: cannot be false: the gateway config denies private networks');
    expect(shown).toContain('FH_EGRESS_FLOOR');
    expect((await admin('/webhooks/internal')).status).toBe(404);

    await page.selectOption('#webhook-form select[name=deny_private_networks]', '');
    await page.click('#webhook-form button[type=submit]');
    await page.waitForSelector('#webhooks tr[data-id="internal"]');
  });

  it('refuses an edit that would lower the floor, in the form and to a fetch with the admin token', async () => {
    await page.click('#webhooks tr[data-id="internal"] button:text("Edit")');
    await page.selectOption('#webhook-form select[name=deny_private_networks]', 'allow');
    await page.click('#webhook-form button[type=submit]');
    await page.waitForSelector('#webhook-form .problems li');
    expect(await page.textContent('#webhook-form .problems')).toContain('/deny_private_networks: cannot be false');

    const answer = await page.evaluate(async (token) => {
      const res = await fetch('/v1/admin/webhooks/internal', {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/x', deny_private_networks: false, allow_networks: ['127.0.0.0/8'] }),
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string; problems: string[] } } };
    }, TOKEN);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('FH_GLOBAL_WEBHOOK_INVALID');
    expect(answer.body.error.problems.map((p) => p.split(':')[0])).toEqual(['/deny_private_networks', '/allow_networks/0']);
    const stored = (await (await admin('/webhooks/internal')).json()) as { revision: number; deny_private_networks?: boolean };
    expect(stored.revision).toBe(1);
    expect(stored.deny_private_networks).toBeUndefined();
  });

  it('test-fire of the internal endpoint shows the policy refusal and the endpoint sees no request', async () => {
    await page.goto(`${h.url}/console/#/webhooks`);
    await page.click('#webhooks tr[data-id="internal"] button:text("Test-fire")');
    await page.click('#test-fire button:text("Send sample event")');
    await page.waitForSelector('#test-fire .refusal');
    const shown = await page.textContent('#test-fire');
    expect(shown).toContain('refused');
    expect(shown).toContain('FH_EGRESS_DENIED');
    expect(shown).toContain('127.0.0.1');
    expect(shown).toContain('loopback');
    expect(shown).not.toContain('metadata-like secret');
    expect(((await (await admin('/webhooks/internal/attempts')).json()) as { attempts: unknown[] }).attempts).toEqual([]);
    expect(sink.received).toEqual([]);
  });
});
