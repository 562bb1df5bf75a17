import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { createTemplateService, templateFormatFor, TemplateError } from '../../../core/template/index.ts';
import type { TemplateService } from '../../../core/template/index.ts';

const logger = createLogger({ level: 'silent' });

function go(service: TemplateService, source: string, format: 'json' | 'xml' | 'text' = 'text'): (data: unknown) => string {
  const template = service.compile(source, { format, name: `t.${format}` });
  return (data) => template.render(data);
}

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

const event = {
  Type: 'AuthFailure',
  Meta: {
    Message: 'Key not authorised',
    Path: '/get',
    Origin: '10.0.0.1',
    Key: 'abc123',
    APIID: 'api1',
    HostInfo: { MetaData: { host_name: 'h1' }, ResponseCode: 500, IsTCPError: false },
    List: ['a', 'b'],
    Map: { z: 1, a: 2 },
  },
  TimeStamp: '2015-01-15 17:21:15.111157073 +0000 UTC',
};
const data = { ...event, EventType: event.Type, EventMetaData: event.Meta };

describe('TemplateService (Go dialect)', () => {
  const service = createTemplateService({ logger });

  it('renders fields, nested paths and spaced actions', () => {
    expect(go(service, '{{.Type}} {{ .Meta.Path }} {{.Meta.HostInfo.MetaData.host_name}} {{.Meta.HostInfo.ResponseCode}}')(data)).toBe(
      'AuthFailure /get h1 500',
    );
  });

  it('renders the older EventType / EventMetaData spelling when the data carries both', () => {
    expect(go(service, '{{.EventType}}:{{.EventMetaData.Key}}')(data)).toBe('AuthFailure:abc123');
  });

  it('renders missing values as empty text when a path does not exist', () => {
    expect(go(service, '[{{.Meta.Nope}}][{{.Meta.Nope.Deeper}}][{{.Nothing}}]')(data)).toBe('[][][]');
  });

  it('chooses branches with if / else if / else and eq', () => {
    const t = go(service, '{{ if eq .Type "HostDown"}}down{{ else if eq .Type "AuthFailure"}}auth{{ else}}other{{ end }}');
    expect(t(data)).toBe('auth');
    expect(t({ ...data, Type: 'HostDown' })).toBe('down');
    expect(t({ ...data, Type: 'X' })).toBe('other');
  });

  it('treats eq with several operands as "equal to any"', () => {
    const t = go(service, '{{if eq .Type "A" "B" "AuthFailure"}}yes{{else}}no{{end}}');
    expect(t(data)).toBe('yes');
    expect(t({ ...data, Type: 'C' })).toBe('no');
  });

  it('uses Go truth for if (empty string, zero, empty list and missing are false)', () => {
    const t = go(service, '{{if .Meta.APIID}}has{{else}}none{{end}}');
    expect(t(data)).toBe('has');
    expect(t({ Meta: { APIID: '' } })).toBe('none');
    expect(t({ Meta: { APIID: 0 } })).toBe('none');
    expect(t({ Meta: { APIID: [] } })).toBe('none');
    expect(t({ Meta: {} })).toBe('none');
  });

  it('supports and, or, not, ne, lt, gt and parenthesised pipelines', () => {
    const t = go(
      service,
      '{{if and .Meta.Key (not .Meta.Nope)}}1{{end}}{{if or .Meta.Nope .Meta.Path}}2{{end}}{{if ne .Type "X"}}3{{end}}{{if lt .Meta.HostInfo.ResponseCode 600}}4{{end}}{{if gt (len .Meta.List) 1}}5{{end}}',
    );
    expect(t(data)).toBe('12345');
  });

  it('returns operand values from and / or like Go', () => {
    expect(go(service, '{{or .Meta.Nope .Meta.Path}}|{{and .Meta.Key .Meta.Origin}}')(data)).toBe('/get|10.0.0.1');
  });

  it('trims whitespace around {{- and -}}', () => {
    expect(go(service, 'a  \n {{- .Type -}} \n\t b')(data)).toBe('aAuthFailureb');
  });

  it('keeps whitespace around block actions as Go does (no standalone-line stripping)', () => {
    expect(go(service, '{{ if .Type }}\nX\n{{ end }}\n')(data)).toBe('\nX\n\n');
  });

  it('drops comments and honours their trim markers', () => {
    expect(go(service, 'a {{- /* a comment */ -}} b{{/* another */}}')(data)).toBe('ab');
  });

  it('pipes values into functions', () => {
    expect(go(service, '{{.TimeStamp | as_rfc3339_from_string}} {{ as_rfc3339 .TimeStamp }}')(data)).toBe('2015-01-15T17:21:15Z 2015-01-15T17:21:15Z');
  });

  it('ranges over lists and maps (sorted keys) with variables and else', () => {
    expect(go(service, '{{range .Meta.List}}<{{.}}>{{end}}')(data)).toBe('<a><b>');
    expect(go(service, '{{range $i, $e := .Meta.List}}{{$i}}={{$e}};{{end}}')(data)).toBe('0=a;1=b;');
    expect(go(service, '{{range $k, $v := .Meta.Map}}{{$k}}={{$v}} {{$.Type}};{{end}}')(data)).toBe('a=2 AuthFailure;z=1 AuthFailure;');
    expect(go(service, '{{range .Meta.Nope}}x{{else}}empty{{end}}')(data)).toBe('empty');
  });

  it('changes dot inside with and reads the root through $', () => {
    expect(go(service, '{{with .Meta}}{{.Key}}/{{$.Type}}{{else}}none{{end}}')(data)).toBe('abc123/AuthFailure');
    expect(go(service, '{{with .Meta.Nope}}x{{else}}none{{end}}')(data)).toBe('none');
  });

  it('supports index, len, print, printf, html, js and urlquery', () => {
    expect(go(service, '{{index .Meta.List 1}} {{index .Meta.Map "z"}} {{len .Type}} {{print .Type 1 2}} {{printf "%s=%d" .Type 7}}')(data)).toBe(
      'b 1 11 AuthFailure1 2 AuthFailure=7',
    );
    expect(go(service, '{{html "<a&b>"}} {{js "it\'s"}} {{urlquery "a b&c"}}')(data)).toBe("&lt;a&amp;b&gt; it\\'s a+b%26c");
  });

  it('handles string literals with quotes, backslashes and escapes', () => {
    expect(go(service, '{{ "a\\"b\\\\" }}|{{ `raw\\n` }}|{{ "tab\\tend" }}')({})).toBe('a"b\\|raw\\n|tab\tend');
  });

  it('keeps a literal backslash that ends text before an action', () => {
    expect(go(service, 'C:\\{{.Type}}')(data)).toBe('C:\\AuthFailure');
  });

  it('keeps braces that touch actions ({"n": {{.N}}})', () => {
    expect(go(service, '{ {{.Type}}}|{"n": {{.Meta.HostInfo.ResponseCode}}}|{{"{"}}{{.Type}}}}')(data)).toBe('{ AuthFailure}|{"n": 500}|{AuthFailure}}');
    expect(JSON.parse(go(service, '{"n": {{.Meta.HostInfo.ResponseCode}}, "o": {"k": {{.Meta.Key}}}}', 'json')(data))).toEqual({ n: 500, o: { k: 'abc123' } });
  });

  it('reports a syntax error with file and line and code FH_TEMPLATE_INVALID', () => {
    const error = errorOf(() => service.compile('line1\n{{ if .Type }}\nok\n', { format: 'text', name: 'broken.json' }));
    expect(error.code).toBe('FH_TEMPLATE_INVALID');
    expect(error.file).toBe('broken.json');
    expect(error.line).toBe(2);
  });

  it('reports unknown functions, unbalanced end and unsupported constructs at compile time', () => {
    expect(errorOf(() => service.compile('\n\n{{ nosuch .Type }}', { format: 'text', name: 'a' })).line).toBe(3);
    expect(errorOf(() => service.compile('{{ end }}', { format: 'text', name: 'a' })).code).toBe('FH_TEMPLATE_INVALID');
    expect(errorOf(() => service.compile('{{ template "x" }}', { format: 'text', name: 'a' })).code).toBe('FH_TEMPLATE_INVALID');
    expect(errorOf(() => service.compile('{{ $x := .Type }}', { format: 'text', name: 'a' })).code).toBe('FH_TEMPLATE_INVALID');
    expect(errorOf(() => service.compile('{{ .Type "arg" }}', { format: 'text', name: 'a' })).code).toBe('FH_TEMPLATE_INVALID');
    expect(errorOf(() => service.compile('{{ not }}', { format: 'text', name: 'a' })).code).toBe('FH_TEMPLATE_INVALID');
    expect(errorOf(() => service.compile('{{ .Type ', { format: 'text', name: 'a' })).code).toBe('FH_TEMPLATE_INVALID');
  });

  it('never reads prototype properties of the data', () => {
    expect(go(service, '[{{.constructor}}][{{.Meta.toString}}][{{.__proto__}}]')(data)).toBe('[][][]');
  });
});

describe('TemplateService (native Handlebars)', () => {
  const service = createTemplateService({ logger });

  it('renders .hbs templates with format from the inner extension and Firehook helpers', () => {
    const t = service.compile(
      '{"t": "{{Type}}", "m": "{{Meta.Message}}", "when": "{{as_rfc3339 TimeStamp}}"{{#if (eq Type "AuthFailure")}}, "auth": true{{/if}} }',
      { format: templateFormatFor('x.json.hbs'), name: 'x.json.hbs' },
    );
    const out = t.render({ ...data, Meta: { Message: 'say "hi"\n' } });
    expect(JSON.parse(out)).toEqual({ t: 'AuthFailure', m: 'say "hi"\n', when: '2015-01-15T17:21:15Z', auth: true });
  });

  it('leaves triple-stash output raw', () => {
    const t = service.compile('{{{Meta.Raw}}}', { format: 'json', name: 'x.json.hbs' });
    expect(t.render({ Meta: { Raw: '"<x>"' } })).toBe('"<x>"');
  });

  it('reports Handlebars syntax errors with the line', () => {
    const error = errorOf(() => service.compile('a\nb\n{{#if x}}\n', { format: 'text', name: 'bad.hbs' }));
    expect(error.code).toBe('FH_TEMPLATE_INVALID');
    expect(error.file).toBe('bad.hbs');
  });
});

describe('TemplateService.load', () => {
  let dir: string;
  const service = createTemplateService({ logger });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-tpl-'));
    await writeFile(join(dir, 'hook.json'), '{"event": "{{.Type}}"}');
    await writeFile(join(dir, 'hook.xml'), '<e a="{{.Type}}">{{.Meta.Message}}</e>');
    await writeFile(join(dir, 'hook.txt'), '{{.Meta.Message}}');
    await writeFile(join(dir, 'bad.json'), 'ok\n{{ if }}');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a file with the format from its extension and its absolute path', async () => {
    const json = await service.load(join(dir, 'hook.json'));
    expect(json.format).toBe('json');
    expect(json.path).toBe(join(dir, 'hook.json'));
    expect((await service.load(join(dir, 'hook.xml'))).format).toBe('xml');
    expect((await service.load(join(dir, 'hook.txt'))).format).toBe('text');
  });

  it('compiles a file once and returns the same template on the next load', async () => {
    const a = await service.load(join(dir, 'hook.json'));
    const b = await service.load(join(dir, 'hook.json'));
    expect(b).toBe(a);
    const compat = await service.load(join(dir, 'hook.json'), { tykCompatEscaping: true });
    expect(compat).not.toBe(a);
  });

  it('recompiles a file whose text changed since the last load', async () => {
    const path = join(dir, 'edited.json');
    await writeFile(path, '{"v": 1, "e": "{{.Type}}"}');
    const first = await service.load(path);
    await writeFile(path, '{"v": 2, "e": "{{.Type}}"}');
    const second = await service.load(path);
    expect(second).not.toBe(first);
    expect(JSON.parse(second.render({ Type: 'X' }))).toEqual({ v: 2, e: 'X' });
    expect(await service.load(path)).toBe(second);
  });

  it('rejects a missing file with FH_TEMPLATE_UNREADABLE naming it', async () => {
    const missing = join(dir, 'nope.json');
    await expect(service.load(missing)).rejects.toMatchObject({ code: 'FH_TEMPLATE_UNREADABLE', file: missing });
  });

  it('rejects an unreadable file with FH_TEMPLATE_UNREADABLE', async () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const locked = join(dir, 'locked.json');
    await writeFile(locked, '{}');
    await chmod(locked, 0o000);
    await expect(service.load(locked)).rejects.toMatchObject({ code: 'FH_TEMPLATE_UNREADABLE' });
  });

  it('rejects an invalid file with FH_TEMPLATE_INVALID naming file and line, and retries after a fix', async () => {
    const bad = join(dir, 'bad.json');
    await expect(service.load(bad)).rejects.toMatchObject({ code: 'FH_TEMPLATE_INVALID', file: bad, line: 2 });
    await writeFile(bad, '{"ok": "{{.Type}}"}');
    expect((await service.load(bad)).render({ Type: 'X' })).toBe('{"ok": "X"}');
  });
});
