/**
 * The template service: loads and compiles webhook, monitor and error templates once, renders them
 * fast. Go templates are translated onto Handlebars (see go-translate.ts) and run on a fixed runtime
 * setup, skipping Handlebars' per-render helper wrapping; native `.hbs` templates run as Handlebars.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import Handlebars from 'handlebars';
import type { Logger } from '../logger.ts';
import { GoTemplateSyntaxError } from './go-lexer.ts';
import { translateGoTemplate } from './go-translate.ts';
import { routeMustaches } from './hbs-native.ts';
import { leanCompilerFor, SHARED_OPTIONS_KEY } from './lean-compiler.ts';
import { outputPolicyFor } from './output-policy.ts';
import { NATIVE_HELPER_ALIASES, setRenderRoot, TEMPLATE_HELPERS } from './template-helpers.ts';
import { TemplateError } from './template-error.ts';
import type { CompiledTemplate, TemplateCompileOptions, TemplateFormat, TemplateLoadOptions, TemplateService } from './template-service.ts';

export interface TemplateServiceOptions {
  logger: Logger;
  /** Default for templates whose load/compile call does not say: Tyk's html/template escaping. */
  tykCompatEscaping?: boolean;
}

/** Format from a file name: `.json`, `.xml`, else text; `.hbs` is looked through (`x.json.hbs`). */
export function templateFormatFor(name: string): TemplateFormat {
  const lower = name.toLowerCase().replace(/\.hbs$/, '');
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.xml')) return 'xml';
  return 'text';
}

type HandlebarsEnv = typeof Handlebars;
interface CompilerInternals {
  Compiler: new () => { compile(ast: unknown, options: object): unknown };
  JavaScriptCompiler: new () => { compile(environment: unknown, options: object, context: undefined, asObject: true): unknown };
  template(spec: unknown): Handlebars.TemplateDelegate;
}

const GO_COMPILE_OPTIONS = {
  data: false,
  noEscape: true,
  ignoreStandalone: true,
  strict: false,
  knownHelpersOnly: true,
  knownHelpers: Object.fromEntries(Object.keys(TEMPLATE_HELPERS).map((k) => [k, true])),
};

// Runtime options for translated templates: helpers given as-is (they need no lookupProperty) and
// prototype properties never readable, decided once instead of on every render.
const DENY_PROTO = { properties: { whitelist: Object.create(null), defaultValue: false }, methods: { whitelist: Object.create(null), defaultValue: false } };
const GO_HELPERS = { ...TEMPLATE_HELPERS, [SHARED_OPTIONS_KEY]: Object.freeze({ hash: Object.freeze({}) }) };
const GO_RUNTIME_OPTIONS = {
  partial: true,
  helpers: GO_HELPERS,
  partials: {},
  decorators: {},
  hooks: {},
  protoAccessControl: DENY_PROTO,
} as unknown as Handlebars.RuntimeOptions;

/** A compiled template's render: the helpers' root set for the call, failures as FH_TEMPLATE_RENDER_FAILED naming the file. */
function compiledTemplate(
  template: Handlebars.TemplateDelegate,
  runtime: Handlebars.RuntimeOptions | undefined,
  name: string,
  format: TemplateFormat,
  path: string | undefined,
): CompiledTemplate {
  return {
    format,
    path,
    render(data: unknown): string {
      setRenderRoot(data);
      try {
        return template(data, runtime);
      } catch (error) {
        throw new TemplateError('FH_TEMPLATE_RENDER_FAILED', { file: name, message: (error as Error).message }, { cause: error });
      } finally {
        setRenderRoot(undefined);
      }
    },
  };
}

export function createTemplateService(options: TemplateServiceOptions): TemplateService {
  const hb: HandlebarsEnv = Handlebars.create();
  hb.registerHelper(TEMPLATE_HELPERS);
  for (const [alias, name] of Object.entries(NATIVE_HELPER_ALIASES)) hb.registerHelper(alias, TEMPLATE_HELPERS[name]!);
  const internals = hb as unknown as CompilerInternals;
  const LeanCompiler = leanCompilerFor(hb) as CompilerInternals['JavaScriptCompiler'];
  const cache = new Map<string, { source: string; template: CompiledTemplate }>();
  const logger = options.logger;

  function compileGo(source: string, name: string, format: TemplateFormat, compat: boolean, path: string | undefined): CompiledTemplate {
    let hbsSource: string;
    try {
      hbsSource = translateGoTemplate(source, outputPolicyFor(format, compat), { stripHtmlComments: compat });
    } catch (error) {
      if (error instanceof GoTemplateSyntaxError)
        throw new TemplateError('FH_TEMPLATE_INVALID', { file: name, line: error.line, message: error.message }, { cause: error });
      throw error;
    }
    let template: Handlebars.TemplateDelegate;
    try {
      const ast = hb.parse(hbsSource, { ignoreStandalone: true });
      const environment = new internals.Compiler().compile(ast, GO_COMPILE_OPTIONS);
      template = internals.template(new LeanCompiler().compile(environment, GO_COMPILE_OPTIONS, undefined, true));
    } catch (error) {
      throw new TemplateError(
        'FH_TEMPLATE_INVALID',
        { file: name, message: `could not compile the translated template: ${(error as Error).message}` },
        { cause: error },
      );
    }
    return compiledTemplate(template, GO_RUNTIME_OPTIONS, name, format, path);
  }

  function compileNative(source: string, name: string, format: TemplateFormat, compat: boolean, path: string | undefined): CompiledTemplate {
    let template: Handlebars.TemplateDelegate;
    try {
      const ast = hb.parse(source);
      routeMustaches(ast as never, outputPolicyFor(format, compat), (helper) => hb.helpers[helper] !== undefined);
      const compileOptions = { noEscape: true, strict: false };
      const environment = new internals.Compiler().compile(ast, compileOptions);
      template = internals.template(new internals.JavaScriptCompiler().compile(environment, compileOptions, undefined, true));
    } catch (error) {
      const line = /line (\d+)/.exec((error as Error).message)?.[1];
      throw new TemplateError(
        'FH_TEMPLATE_INVALID',
        { file: name, line: line === undefined ? undefined : Number(line), message: (error as Error).message },
        { cause: error },
      );
    }
    return compiledTemplate(template, undefined, name, format, path);
  }

  function compile(source: string, compileOptions: TemplateCompileOptions, path?: string): CompiledTemplate {
    const compat = compileOptions.tykCompatEscaping ?? options.tykCompatEscaping ?? false;
    const engine = compileOptions.engine ?? (compileOptions.name.toLowerCase().endsWith('.hbs') ? 'handlebars' : 'go');
    const compiled =
      engine === 'handlebars'
        ? compileNative(source, compileOptions.name, compileOptions.format, compat, path)
        : compileGo(source, compileOptions.name, compileOptions.format, compat, path);
    logger.debug({ template: compileOptions.name, engine, format: compileOptions.format, tyk_compat_escaping: compat }, 'template compiled');
    return compiled;
  }

  async function readSource(path: string): Promise<string> {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      throw new TemplateError('FH_TEMPLATE_UNREADABLE', { file: path, message: `cannot read template: ${reason}` }, { cause: error });
    }
  }

  return {
    async load(path: string, loadOptions: TemplateLoadOptions = {}): Promise<CompiledTemplate> {
      const absolute = resolve(path);
      const compat = loadOptions.tykCompatEscaping ?? options.tykCompatEscaping ?? false;
      const key = `${compat ? 'tyk' : 'fmt'}:${loadOptions.engine ?? ''}:${absolute}`;
      // The file is read on every load (cheap: once per handler per generation) and compiled only
      // when its text changed, so a long-lived service still picks up edited templates on reload.
      const source = await readSource(absolute);
      const cached = cache.get(key);
      if (cached !== undefined && cached.source === source) return cached.template;
      const template = compile(source, { ...loadOptions, tykCompatEscaping: compat, format: templateFormatFor(absolute), name: absolute }, absolute);
      cache.set(key, { source, template });
      return template;
    },
    compile(source: string, compileOptions: TemplateCompileOptions): CompiledTemplate {
      return compile(source, compileOptions);
    },
  };
}
