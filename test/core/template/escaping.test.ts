import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { createTemplateService, escapeGoHtml, escapeJsonString, escapeXml } from '../../../core/template/index.ts';

const service = createTemplateService({ logger: createLogger({ level: 'silent' }) });
const HOSTILE = [
  '"',
  '\\',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '\u0007',
  '\u001f',
  '</script>',
  '<!--',
  ']]>',
  '&amp;',
  "'",
  '+',
  '\u2028',
  '\u2029',
  '\ud83d\ude00',
  '\ud800',
  '\udfff',
  'é',
  '{{.Type}}',
  '${x}',
  '`',
];

describe('JSON escaping', () => {
  const template = service.compile(
    '{"event": "{{.Type}}", "message": "{{.Meta.Message}}", "n": {{.Meta.N}}, "v": {{.Meta.V}}, "nested": "pre {{.Meta.Message}} post"}',
    { format: 'json', name: 'x.json' },
  );

  it('produces valid JSON that round-trips the value whatever the metadata holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.constantFrom(...HOSTILE), fc.jsonValue(), (text, hostile, value) => {
        const message = text + hostile + text;
        const out = template.render({ Type: hostile, Meta: { Message: message, N: 42, V: value } });
        const parsed = JSON.parse(out) as Record<string, unknown>;
        expect(parsed.message).toBe(message);
        expect(parsed.event).toBe(hostile);
        expect(parsed.n).toBe(42);
        expect(parsed.v).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('writes <, > and & as unicode escapes so the body is safe inside HTML', () => {
    const out = template.render({ Type: '</script><b>&', Meta: { Message: 'x', N: 1, V: '<>' } });
    expect(out).not.toMatch(/[<>&]/);
    expect(out).toContain('\\u003c/script\\u003e\\u003cb\\u003e\\u0026');
  });

  it('escapes lone surrogates so the body is valid UTF-8', () => {
    expect(escapeJsonString('a\ud800b\udfffc\ud83d\ude00')).toBe('a\\ud800b\\udfffc\ud83d\ude00');
  });

  it('renders numbers and booleans as they are and missing values as null outside quotes', () => {
    const t = service.compile('{"a": {{.Meta.A}}, "b": {{.Meta.B}}, "c": {{.Meta.C}}, "d": "{{.Meta.A}}", "e": "{{.Meta.C}}"}', {
      format: 'json',
      name: 'x.json',
    });
    expect(JSON.parse(t.render({ Meta: { A: 1.5, B: true } }))).toEqual({ a: 1.5, b: true, c: null, d: '1.5', e: '' });
  });

  it('tracks string state across escaped quotes in the template text', () => {
    const t = service.compile('{"a\\"b": "x\\"{{.Type}}", "c": {{.Type}}}', { format: 'json', name: 'x.json' });
    expect(JSON.parse(t.render({ Type: 'T"' }))).toEqual({ 'a"b': 'x"T"', c: 'T"' });
  });
});

describe('XML escaping', () => {
  const template = service.compile('<event type="{{.Type}}"><message>{{.Meta.Message}}</message></event>', { format: 'xml', name: 'x.xml' });

  it('escapes markup characters in text and attributes', () => {
    const out = template.render({ Type: `a"b'c`, Meta: { Message: '<b>&</b>]]>' } });
    expect(out).toBe('<event type="a&quot;b&apos;c"><message>&lt;b&gt;&amp;&lt;/b&gt;]]&gt;</message></event>');
  });

  it('replaces characters XML 1.0 forbids and keeps the rest recoverable', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const escaped = escapeXml(text);
        // oxlint-disable-next-line no-control-regex -- checking that control characters are gone
        expect(escaped).not.toMatch(/[<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
        expect(escaped).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
        const decoded = escaped.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e]!);
        expect(decoded.length).toBe(text.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('Text format', () => {
  it('writes values raw', () => {
    const t = service.compile('{{.Meta.Message}}', { format: 'text', name: 'x.txt' });
    expect(t.render({ Meta: { Message: '"<&>\\\n' } })).toBe('"<&>\\\n');
  });
});

describe('Tyk compat escaping', () => {
  it("matches Go html/template's text escaper byte for byte", () => {
    expect(escapeGoHtml(`a"b'c&d<e>f+g\u0000h\\i\nj`)).toBe('a&#34;b&#39;c&amp;d&lt;e&gt;f&#43;g\ufffdh\\i\nj');
  });

  it('escapes every value the Tyk way, timestamps included, whatever the format', () => {
    const t = service.compile('{"m": "{{.Meta.Message}}", "t": "{{.TimeStamp}}", "n": {{.Meta.N}}}', {
      format: 'json',
      name: 'x.json',
      tykCompatEscaping: true,
    });
    const out = t.render({ Meta: { Message: 'a "quoted" <b> \\ \n', N: 5 }, TimeStamp: '2015-01-15 17:21:15.111157073 +0000 UTC' });
    expect(out).toBe('{"m": "a &#34;quoted&#34; &lt;b&gt; \\ \n", "t": "2015-01-15 17:21:15.111157073 &#43;0000 UTC", "n": 5}');
  });

  it('prints maps and lists the way Go fmt does and missing values as empty', () => {
    const t = service.compile('{{.Meta.Map}}|{{.Meta.List}}|{{.Meta.Nope}}|{{.Meta.F}}|{{.Meta.B}}', { format: 'text', name: 'x', tykCompatEscaping: true });
    expect(t.render({ Meta: { Map: { b: 1, a: 'x' }, List: [1, 'y'], F: 0.25, B: false } })).toBe('map[a:x b:1]|[1 y]||0.25|false');
  });

  it('uses the service default when a compile call does not say', () => {
    const compat = createTemplateService({ logger: createLogger({ level: 'silent' }), tykCompatEscaping: true });
    expect(compat.compile('{{.X}}', { format: 'json', name: 'x.json' }).render({ X: '+' })).toBe('&#43;');
    expect(compat.compile('{{.X}}', { format: 'json', name: 'x.json', tykCompatEscaping: false }).render({ X: '+' })).toBe('"+"');
  });
});
