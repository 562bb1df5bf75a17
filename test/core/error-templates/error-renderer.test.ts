import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createErrorRenderer, type ErrorRendererOptions } from '../../../core/error-templates/error-renderer.ts';
import { createLogger } from '../../../core/logger.ts';
import { errorTemplateService } from './template-service-under-test.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function templateDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-errortpl-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

async function renderer(dir: string, extra: Partial<ErrorRendererOptions> = {}) {
  const { lines, logger } = capture();
  const r = createErrorRenderer({
    templateDir: dir,
    templates: await errorTemplateService(),
    hideGeneratorHeader: false,
    track404Logs: false,
    logger,
    ...extra,
  });
  await r.load();
  return { r, lines };
}

const FILES = {
  'error.json': '{"error": "{{.Message}}", "source": "generic"}',
  'error_401.json': '{"error": "{{.Message}}", "code": {{.StatusCode}}, "source": "401"}',
  'error.xml': '<error><source>generic</source><message>{{.Message}}</message></error>',
  'error_500.xml': '<?xml version="1.0" encoding="UTF-8"?>\n<error><code>{{.StatusCode}}</code><message>{{.Message}}</message></error>',
};

describe('createErrorRenderer', () => {
  const cases: Array<[number, string | undefined, string, string]> = [
    [500, 'application/xml', 'application/xml', '<?xml version="1.0" encoding="UTF-8"?>\n<error><code>500</code><message>boom</message></error>'],
    [
      500,
      'Application/XML; charset=utf-8',
      'application/xml',
      '<?xml version="1.0" encoding="UTF-8"?>\n<error><code>500</code><message>boom</message></error>',
    ],
    [500, 'text/xml;charset=iso-8859-1', 'text/xml', '<?xml version="1.0" encoding="UTF-8"?>\n<error><code>500</code><message>boom</message></error>'],
    [503, 'application/soap+xml; action="x"', 'application/soap+xml', '<error><source>generic</source><message>boom</message></error>'],
    [404, 'text/xml', 'text/xml', '<error><source>generic</source><message>boom</message></error>'],
    [401, 'application/json', 'application/json', '{"error": "boom", "code": 401, "source": "401"}'],
    [401, undefined, 'application/json', '{"error": "boom", "code": 401, "source": "401"}'],
    [403, 'text/html', 'application/json', '{"error": "boom", "source": "generic"}'],
    [403, '', 'application/json', '{"error": "boom", "source": "generic"}'],
    [500, 'application/json', 'application/json', '{"error": "boom", "source": "generic"}'],
  ];
  for (const [code, requestContentType, contentType, body] of cases) {
    it(`serves ${contentType} for a ${code} when the request Content-Type is ${JSON.stringify(requestContentType)}`, async () => {
      const { r } = await renderer(await templateDir(FILES));
      expect(await r.render({ code, message: 'boom', requestContentType })).toEqual({
        status: code,
        headers: { 'Content-Type': contentType, 'X-Generator': 'tyk.io' },
        body,
      });
    });
  }

  it("renders Firehook's shipped templates/error.json and error.xml", async () => {
    const { r } = await renderer(fileURLToPath(new URL('../../../templates', import.meta.url)));
    expect(JSON.parse(r.renderSync({ code: 403, message: 'Access to this API has been disallowed' }).body)).toEqual({
      error: 'Access to this API has been disallowed',
    });
    const xml = r.renderSync({ code: 500, message: 'a<b', requestContentType: 'application/xml' });
    expect(xml.headers['Content-Type']).toBe('application/xml');
    expect(xml.body.trim()).toBe('<error>a&lt;b</error>');
  });

  it('falls back to error.json served as application/json when no XML template exists', async () => {
    const { r } = await renderer(await templateDir({ 'error.json': '{"error": "{{.Message}}"}' }));
    const res = r.renderSync({ code: 500, message: 'x', requestContentType: 'application/xml' });
    expect(res.headers['Content-Type']).toBe('application/json');
    expect(res.body).toBe('{"error": "x"}');
  });

  it("uses Tyk's error.json when the directory has none and warns when the directory is missing", async () => {
    const { r, lines } = await renderer(join(tmpdir(), 'fh-errortpl-does-not-exist'));
    const res = await r.render({ code: 502, message: 'There was a problem proxying the request', requestContentType: 'text/xml' });
    expect(res.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({ error: 'There was a problem proxying the request' });
    expect(lines.some((l) => l.code === 'FH_ERRORTPL_RENDER_FAILED')).toBe(true);
  });

  it('escapes the message so JSON stays valid and XML stays well-formed, as Go does', async () => {
    const { r } = await renderer(await templateDir(FILES));
    const hostile = 'a "quoted" \\ back\nslash <script>&amp; \u2028 it\'s';
    const json = r.renderSync({ code: 400, message: hostile, requestContentType: 'application/json' });
    expect(JSON.parse(json.body).error).toBe(hostile);
    expect(json.body).toContain('\\u003cscript\\u003e\\u0026amp;');
    const xml = r.renderSync({ code: 400, message: hostile, requestContentType: 'text/xml' });
    expect(xml.body).toBe(
      '<error><source>generic</source><message>a &#34;quoted&#34; \\ back&#xA;slash &lt;script&gt;&amp;amp; \u2028 it&#39;s</message></error>',
    );
  });

  it('escapes once even when the template service defaults to Tyk compat escaping', async () => {
    const { logger } = capture();
    const r = createErrorRenderer({
      templateDir: await templateDir({ 'error.json': '{"error": "{{ .Message }}"}' }),
      templates: await errorTemplateService({ tykCompatEscaping: true }),
      hideGeneratorHeader: false,
      track404Logs: false,
      logger,
    });
    expect(JSON.parse((await r.render({ code: 400, message: 'a "b" + <c>' })).body)).toEqual({ error: 'a "b" + <c>' });
  });

  it('skips a template that does not compile, with a coded warning, and falls back', async () => {
    const { r, lines } = await renderer(await templateDir({ ...FILES, 'error_500.xml': '<error>{{ if .Message }}</error>' }));
    const res = r.renderSync({ code: 500, message: 'm', requestContentType: 'text/xml' });
    expect(res.body).toBe('<error><source>generic</source><message>m</message></error>');
    expect(lines.some((l) => l.code === 'FH_ERRORTPL_RENDER_FAILED' && String(l.template).endsWith('error_500.xml'))).toBe(true);
  });

  it('sends a configured X-Generator value and none when hide_generator_header is set', async () => {
    const dir = await templateDir(FILES);
    expect((await (await renderer(dir, { generatorHeaderValue: 'firehook' })).r.render({ code: 500, message: 'm' })).headers['X-Generator']).toBe('firehook');
    expect((await (await renderer(dir, { hideGeneratorHeader: true })).r.render({ code: 500, message: 'm' })).headers).toEqual({
      'Content-Type': 'application/json',
    });
  });

  it('answers an unknown route with a plain 404 without X-Generator, logged only with track_404_logs', async () => {
    const dir = await templateDir(FILES);
    const quiet = await renderer(dir);
    const res = quiet.r.renderSync({ code: 404, message: 'ignored', unknownRoute: true, request: { method: 'GET', path: '/nope' } });
    expect(res).toEqual({ status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Not Found' });
    expect(quiet.lines.filter((l) => l.msg === 'Not Found')).toHaveLength(0);
    const tracked = await renderer(dir, { track404Logs: true });
    tracked.r.renderSync({ code: 404, message: '', unknownRoute: true, request: { method: 'POST', path: '/missing', origin: '10.0.0.1:5555' } });
    expect(tracked.lines.filter((l) => l.msg === 'Not Found')).toEqual([
      expect.objectContaining({ request: 'POST /missing HTTP/1.1', origin: '10.0.0.1:5555' }),
    ]);
  });

  it('caches templates until load() is called again', async () => {
    const dir = await templateDir({ 'error.json': '{"v": 1, "error": "{{.Message}}"}' });
    const { r } = await renderer(dir);
    await writeFile(join(dir, 'error.json'), '{"v": 2, "error": "{{.Message}}"}');
    await writeFile(join(dir, 'error_418.json'), '{"teapot": "{{.Message}}"}');
    expect(JSON.parse(r.renderSync({ code: 418, message: 'm' }).body)).toEqual({ v: 1, error: 'm' });
    await r.load();
    expect(JSON.parse(r.renderSync({ code: 500, message: 'm' }).body)).toEqual({ v: 2, error: 'm' });
    expect(JSON.parse(r.renderSync({ code: 418, message: 'm' }).body)).toEqual({ teapot: 'm' });
    expect(r.loaded()).toEqual(['error.json', 'error_418.json']);
  });

  it('refuses renderSync before load and loads lazily in render', async () => {
    const { logger } = capture();
    const r = createErrorRenderer({
      templateDir: await templateDir(FILES),
      templates: await errorTemplateService(),
      hideGeneratorHeader: false,
      track404Logs: false,
      logger,
    });
    expect(() => r.renderSync({ code: 500, message: 'm' })).toThrow(expect.objectContaining({ code: 'FH_ERRORTPL_NOT_LOADED' }));
    expect((await r.render({ code: 500, message: 'm' })).body).toBe('{"error": "m", "source": "generic"}');
  });
});
