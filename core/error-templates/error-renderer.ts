/**
 * Error responses rendered from templates, as Tyk's error handler does:
 * - the request's Content-Type (part before `;`, any case) picks the extension: `application/xml`,
 *   `text/xml` and `application/soap+xml` give `xml` (Tyk knows only the first two), anything else `json`;
 * - lookup `error_<code>.<ext>`, then `error.<ext>`, then `error.json` served as application/json;
 * - the message is escaped first (Go `json.Marshal` style for JSON templates, `xml.EscapeText` for
 *   XML ones) and the template sees `{{.Message}}` and `{{.StatusCode}}`;
 * - `X-Generator: tyk.io` (value configurable) unless `hide_generator_header`;
 * - a 404 for an unknown route is Tyk's plain `Not Found` without X-Generator, logged when
 *   `track_404_logs`.
 * Templates are read from `template_path` once per `load()` and cached; `load()` again reloads.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FirehookError } from '../errors/firehook-error.ts';
import type { Logger } from '../logger.ts';
import type { CompiledTemplate, TemplateService } from '../template/template-service.ts';
import { goJsonEscape, goXmlEscape } from './go-escape.ts';

export interface ErrorRendererOptions {
  /** Directory holding `error.json`, `error.xml`, `error_<code>.<ext>` (the gateway's `template_path`). */
  templateDir: string;
  templates: TemplateService;
  hideGeneratorHeader: boolean;
  /** Value of the X-Generator header; default `tyk.io`. */
  generatorHeaderValue?: string;
  track404Logs: boolean;
  logger: Logger;
}

export interface ErrorRenderInput {
  /** HTTP status code. */
  code: number;
  message: string;
  /** The request's Content-Type header, if any. */
  requestContentType?: string | undefined;
  /** A request that matched no route: Tyk's plain 404, never templated. */
  unknownRoute?: boolean;
  /** Request details for the `track_404_logs` line. */
  request?: { method?: string; path?: string; protocol?: string; origin?: string };
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ErrorRenderer {
  /** Read and compile the error templates (again, on reload); the new set replaces the old at once. */
  load(): Promise<void>;
  /** Render, loading the templates first if they never were. */
  render(input: ErrorRenderInput): Promise<ErrorResponse>;
  /** Render from the loaded templates; FH_ERRORTPL_NOT_LOADED before the first `load()`. */
  renderSync(input: ErrorRenderInput): ErrorResponse;
  /** Names of the loaded templates, sorted (for diagnostics). */
  loaded(): string[];
}

const TEMPLATE_FILE = /^error(?:_\d{3})?\.(?:json|xml)$/;
const XML_TYPES = new Set(['application/xml', 'text/xml', 'application/soap+xml']);
/** Tyk's shipped `templates/error.json`, used when the template directory has none. */
export const BUILTIN_ERROR_JSON = '{\n    "error": "{{.Message}}"\n}\n';

/** The extension and response Content-Type for a request Content-Type. */
export function errorFormatFor(requestContentType: string | undefined): { ext: 'json' | 'xml'; contentType: string } {
  const mediaType = (requestContentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (XML_TYPES.has(mediaType)) return { ext: 'xml', contentType: mediaType };
  return { ext: 'json', contentType: 'application/json' };
}

export function createErrorRenderer(options: ErrorRendererOptions): ErrorRenderer {
  const { templates, logger } = options;
  const generator = options.generatorHeaderValue ?? 'tyk.io';
  let cache: Map<string, CompiledTemplate> | undefined;
  let loading: Promise<void> | undefined;
  let generation = 0;

  // 'text' writes values raw: the message is escaped here, once, the way Tyk escapes it.
  const compile = (source: string, name: string): CompiledTemplate => templates.compile(source, { format: 'text', name, tykCompatEscaping: false });
  const builtin = compile(BUILTIN_ERROR_JSON, '<builtin>/error.json');

  async function readTemplates(): Promise<Map<string, CompiledTemplate>> {
    const next = new Map<string, CompiledTemplate>();
    let names: string[];
    try {
      names = (await readdir(options.templateDir)).filter((n) => TEMPLATE_FILE.test(n)).sort();
    } catch (error) {
      logger.warn(
        { err: error, code: 'FH_ERRORTPL_RENDER_FAILED', dir: options.templateDir },
        'error template directory unreadable; using the built-in error.json',
      );
      names = [];
    }
    for (const name of names) {
      const path = join(options.templateDir, name);
      try {
        next.set(name, compile(await readFile(path, 'utf8'), path));
      } catch (error) {
        logger.warn({ err: error, code: 'FH_ERRORTPL_RENDER_FAILED', template: path }, 'error template failed to load; it is skipped');
      }
    }
    if (!next.has('error.json')) next.set('error.json', builtin);
    return next;
  }

  function load(): Promise<void> {
    const mine = ++generation;
    loading = readTemplates().then((next) => {
      if (mine === generation) cache = next; // a later load() started meanwhile: its result wins
    });
    return loading;
  }

  function renderWith(current: Map<string, CompiledTemplate>, input: ErrorRenderInput): ErrorResponse {
    if (input.unknownRoute) {
      if (options.track404Logs) {
        const r = input.request ?? {};
        logger.error({ request: `${r.method ?? 'GET'} ${r.path ?? '/'} ${r.protocol ?? 'HTTP/1.1'}`, origin: r.origin ?? '' }, 'Not Found');
      }
      return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Not Found' };
    }
    let { ext, contentType } = errorFormatFor(input.requestContentType);
    let name = `error_${input.code}.${ext}`;
    let template = current.get(name);
    if (!template) template = current.get((name = `error.${ext}`));
    if (!template) {
      name = 'error.json';
      ext = 'json';
      contentType = 'application/json';
      template = current.get(name) ?? builtin;
    }
    const headers: Record<string, string> = { 'Content-Type': contentType };
    if (!options.hideGeneratorHeader) headers['X-Generator'] = generator;
    const Message = ext === 'xml' ? goXmlEscape(input.message) : goJsonEscape(input.message);
    let body: string;
    try {
      body = template.render({ Message, StatusCode: input.code });
    } catch (error) {
      logger.error(
        { err: error, code: 'FH_ERRORTPL_RENDER_FAILED', template: template.path ?? name },
        'error template failed to render; the built-in body was sent',
      );
      body = ext === 'xml' ? `<error>${Message}</error>` : `{"error": "${goJsonEscape(input.message)}"}`;
    }
    return { status: input.code, headers, body };
  }

  return {
    load,
    async render(input) {
      if (!cache) await (loading ?? load());
      return renderWith(cache!, input);
    },
    renderSync(input) {
      if (!cache) throw new FirehookError('FH_ERRORTPL_NOT_LOADED', 'error templates are not loaded; call load() first');
      return renderWith(cache, input);
    },
    loaded: () => [...(cache?.keys() ?? [])].sort(),
  };
}
