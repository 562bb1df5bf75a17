import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, workspace, type AdminHarness, type Workspace } from '../admin/helpers.ts';

let ws: Workspace;
let h: AdminHarness;
beforeAll(async () => {
  ws = await workspace({ memory: true, gateway: { admin_secret: 'console-secret' } });
  h = await startHarness(ws.config);
});
afterAll(async () => {
  await h.close();
  await ws.cleanup();
});

/** A raw GET (fetch would normalise `..` away). */
function rawGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${h.url}${path}`, (res) => {
      res.resume();
      resolve(res.statusCode!);
    })
      .on('error', reject)
      .end();
  });
}

describe('console assets', () => {
  it('redirects /console to /console/ and serves the page with a strict content security policy', async () => {
    const redirect = await fetch(`${h.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/console/');
    const page = await fetch(`${h.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
  });

  it('serves scripts and styles without the admin token (they hold no data) while the API still needs it', async () => {
    const script = await fetch(`${h.url}/console/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${h.url}/console/style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${h.url}/v1/admin/apis`)).status).toBe(401);
  });

  it('answers 404 for a missing asset and for paths that leave the console directory', async () => {
    expect((await fetch(`${h.url}/console/nope.js`)).status).toBe(404);
    expect(await rawGet('/console/../package.json')).toBe(404);
    expect(await rawGet('/console/%2e%2e/package.json')).toBe(404);
    expect((await fetch(`${h.url}/console/deep/link`)).status).toBe(200);
  });
});
