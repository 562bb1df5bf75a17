/**
 * Translate Go text/template source (Tyk's webhook template dialect) into Handlebars source that
 * calls Firehook's helpers: fields become `this.[A].[B]` paths, Go functions `go_<name>` helpers,
 * `if` / `with` / `range` the `fh_if` / `fh_with` / `fh_range` block helpers with Go semantics, and
 * every output action an escaping helper chosen by the caller for its position in the text.
 */
import { GoTemplateSyntaxError, lexGoTemplate, type GoToken } from './go-lexer.ts';

/** Go template functions Firehook provides, with their argument counts (min, max). */
const GO_FUNCTIONS: Readonly<Record<string, readonly [number, number]>> = {
  and: [1, Infinity],
  or: [1, Infinity],
  not: [1, 1],
  eq: [2, Infinity],
  ne: [2, 2],
  lt: [2, 2],
  le: [2, 2],
  gt: [2, 2],
  ge: [2, 2],
  len: [1, 1],
  index: [1, Infinity],
  print: [0, Infinity],
  println: [0, Infinity],
  printf: [1, Infinity],
  html: [0, Infinity],
  js: [0, Infinity],
  urlquery: [0, Infinity],
  as_rfc3339: [1, 1],
  as_rfc3339_from_string: [1, 1],
};

/** Decides how each output action is escaped, given the literal text seen so far. */
export interface OutputPolicy {
  /** Literal text, in document order. */
  text(text: string): void;
  /** Name of the helper that writes the value of the next output action. */
  helper(): string;
}

interface OpenBlock {
  helper: 'fh_if' | 'fh_with' | 'fh_range';
  line: number;
  afterElse: boolean;
  variables: string[];
}

const UNSUPPORTED = new Set(['define', 'template', 'block', 'break', 'continue']);

/** Translate; throws GoTemplateSyntaxError (with a line) for invalid or unsupported syntax. */
export function translateGoTemplate(source: string, policy: OutputPolicy, options: { stripHtmlComments?: boolean } = {}): string {
  const items = lexGoTemplate(source);
  const out: string[] = [];
  const stack: OpenBlock[] = [];
  const scope = (): Set<string> => new Set(stack.flatMap((b) => b.variables));
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind === 'text') {
      const text = options.stripHtmlComments ? item.text.replace(/<!--[\s\S]*?-->/g, '') : item.text;
      policy.text(text);
      out.push(handlebarsText(text, i > 0, i + 1 < items.length));
      continue;
    }
    const { tokens, line } = item;
    const head = tokens[0];
    const fail = (message: string): never => {
      throw new GoTemplateSyntaxError(line, message);
    };
    if (head === undefined) fail('missing value for command');
    const keyword = head!.kind === 'identifier' ? head!.value : undefined;
    if (keyword !== undefined && UNSUPPORTED.has(keyword)) fail(`{{${keyword}}} is not supported in Firehook templates`);
    if (keyword === 'if' || keyword === 'with') {
      const helper = keyword === 'if' ? 'fh_if' : 'fh_with';
      out.push(`{{#${helper} ${pipeline(tokens.slice(1), line, scope())}}}`);
      stack.push({ helper, line, afterElse: false, variables: [] });
    } else if (keyword === 'range') {
      const { variables, rest } = rangeDeclaration(tokens.slice(1), line);
      const params = variables.length === 0 ? '' : ` as |${variables.map((v) => `fhv_${v}`).join(' ')}|`;
      out.push(`{{#fh_range ${pipeline(rest, line, scope())}${params}}}`);
      stack.push({ helper: 'fh_range', line, afterElse: false, variables });
    } else if (keyword === 'else') {
      const block = stack.at(-1) ?? fail('unexpected {{else}}');
      if (block!.afterElse) fail('expected end; found {{else}}');
      const chained = tokens[1]?.kind === 'identifier' ? tokens[1].value : undefined;
      if (chained === 'if' || chained === 'with') {
        block!.variables = [];
        out.push(`{{else ${chained === 'if' ? 'fh_if' : 'fh_with'} ${pipeline(tokens.slice(2), line, scope())}}}`);
      } else {
        if (tokens.length > 1) fail('unexpected token after else');
        block!.afterElse = true;
        block!.variables = [];
        out.push('{{else}}');
      }
    } else if (keyword === 'end') {
      if (tokens.length > 1) fail('unexpected token after end');
      const block = stack.pop() ?? fail('unexpected {{end}}');
      out.push(`{{/${block!.helper}}}`);
    } else {
      if ((head!.kind === 'variable' && (tokens[1]?.kind === 'declare' || tokens[1]?.kind === 'assign')) || tokens.some((t) => t.kind === 'declare')) {
        fail('variable declarations are not supported in Firehook templates (range variables are)');
      }
      const expr = pipeline(tokens, line, scope());
      out.push(`{{${policy.helper()} ${expr}}}`);
    }
  }
  const open = stack.at(-1);
  if (open !== undefined) throw new GoTemplateSyntaxError(open.line, `unexpected EOF: {{${open.helper.slice(3)}}} has no {{end}}`);
  return out.join('');
}

/**
 * Literal text as Handlebars source. Braces touching a mustache would change its meaning (`}}}`,
 * `{{{`), so they are written through a helper; a trailing backslash before a mustache is doubled
 * (Handlebars reads `\\{{` as an escaped mustache).
 */
function handlebarsText(text: string, afterAction: boolean, beforeAction: boolean): string {
  let lead = '';
  let tail = '';
  let body = text;
  if (afterAction) {
    const braces = /^\}+/.exec(body)?.[0] ?? '';
    if (braces !== '') lead = `{{fh_cat "${braces}"}}`;
    body = body.slice(braces.length);
  }
  if (beforeAction) {
    const braces = /\{+$/.exec(body)?.[0] ?? '';
    if (braces !== '') tail = `{{fh_cat "${braces}"}}`;
    body = body.slice(0, body.length - braces.length);
  }
  if (body.endsWith('\\')) body += '\\';
  return lead + body + tail;
}

function rangeDeclaration(tokens: GoToken[], line: number): { variables: string[]; rest: GoToken[] } {
  const declare = tokens.findIndex((t) => t.kind === 'declare' || t.kind === 'assign');
  if (declare === -1) return { variables: [], rest: tokens };
  const names = tokens.slice(0, declare);
  const variables: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const token = names[i]!;
    if (i % 2 === 1) {
      if (token.kind !== 'comma') throw new GoTemplateSyntaxError(line, 'range can only initialize variables');
      continue;
    }
    if (token.kind !== 'variable' || token.path.length > 0 || token.name === '') throw new GoTemplateSyntaxError(line, 'range can only initialize variables');
    variables.push(token.name);
  }
  if (variables.length === 0 || variables.length > 2) throw new GoTemplateSyntaxError(line, 'too many declarations in range');
  // Go: `$v := x` binds the element; `$k, $v := x` binds the key (index) then the element.
  return { variables: variables.length === 1 ? variables : [variables[1]!, variables[0]!], rest: tokens.slice(declare + 1) };
}

/** Translate a pipeline (`cmd | cmd ...`) to one Handlebars expression. */
function pipeline(tokens: GoToken[], line: number, scope: Set<string>): string {
  const parser = new PipelineParser(tokens, line, scope);
  const expr = parser.parsePipeline();
  if (parser.pos < tokens.length) parser.fail(`unexpected ${describe(tokens[parser.pos]!)} in operand`);
  return expr;
}

class PipelineParser {
  pos = 0;
  private readonly tokens: GoToken[];
  private readonly line: number;
  private readonly scope: Set<string>;

  constructor(tokens: GoToken[], line: number, scope: Set<string>) {
    this.tokens = tokens;
    this.line = line;
    this.scope = scope;
  }

  fail(message: string): never {
    throw new GoTemplateSyntaxError(this.line, message);
  }

  parsePipeline(): string {
    let piped: string | undefined;
    for (;;) {
      piped = this.parseCommand(piped);
      const next = this.tokens[this.pos];
      if (next?.kind !== 'pipe') return piped;
      this.pos++;
    }
  }

  private parseCommand(piped: string | undefined): string {
    const head = this.tokens[this.pos];
    if (head === undefined || head.kind === 'pipe' || head.kind === 'rparen') this.fail('missing value for command');
    if (head.kind === 'identifier' && GO_FUNCTIONS[head.value] !== undefined) {
      this.pos++;
      const args: string[] = [];
      while (this.atOperand()) args.push(this.parseOperand());
      if (piped !== undefined) args.push(piped);
      const [min, max] = GO_FUNCTIONS[head.value]!;
      if (args.length < min || args.length > max)
        this.fail(`wrong number of args for ${head.value}: want ${max === Infinity ? `at least ${min}` : min} got ${args.length}`);
      return `(go_${head.value}${args.map((a) => ' ' + a).join('')})`;
    }
    const operand = this.parseOperand();
    if (this.atOperand() || piped !== undefined) this.fail(`can't give argument to non-function ${describe(head)}`);
    return operand;
  }

  private atOperand(): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && t.kind !== 'pipe' && t.kind !== 'rparen';
  }

  private parseOperand(): string {
    const token = this.tokens[this.pos]!;
    this.pos++;
    switch (token.kind) {
      case 'field':
        return token.path.length === 0 ? 'this' : `this${pathSuffix(token.path)}`;
      case 'variable':
        if (token.name === '') return token.path.length === 0 ? '(fh_root)' : `(fh_get (fh_root)${token.path.map((p) => ' ' + stringLiteral(p)).join('')})`;
        if (!this.scope.has(token.name)) this.fail(`undefined variable "$${token.name}"`);
        return `fhv_${token.name}${pathSuffix(token.path)}`;
      case 'string':
        return stringLiteral(token.value);
      case 'number':
        return numberLiteral(token.value);
      case 'identifier':
        if (token.value === 'true' || token.value === 'false') return token.value;
        if (token.value === 'nil') return 'null';
        if (GO_FUNCTIONS[token.value] !== undefined) {
          const [min] = GO_FUNCTIONS[token.value]!;
          if (min > 0) this.fail(`wrong number of args for ${token.value}: want ${min} got 0`);
          return `(go_${token.value})`;
        }
        return this.fail(`function "${token.value}" not defined`);
      case 'lparen': {
        const inner = this.parsePipeline();
        if (this.tokens[this.pos]?.kind !== 'rparen') this.fail('unclosed left paren');
        this.pos++;
        const chain = this.tokens[this.pos];
        if (chain?.kind === 'field' && !chain.spaced && chain.path.length > 0) {
          this.pos++;
          return `(fh_get ${inner}${chain.path.map((p) => ' ' + stringLiteral(p)).join('')})`;
        }
        return inner;
      }
      default:
        return this.fail(`unexpected ${describe(token)} in operand`);
    }
  }
}

function pathSuffix(path: string[]): string {
  return path.map((p) => `.[${p}]`).join('');
}

/** A Handlebars expression for any string (Handlebars string literals cannot hold `"` or a trailing `\`). */
function stringLiteral(value: string): string {
  if (!/["\\]/.test(value)) return `"${value}"`;
  const parts = value.split(/(["\\])/).filter((p) => p !== '');
  const exprs = parts.map((p) => (p === '"' ? '(fh_chr 34)' : p === '\\' ? '(fh_chr 92)' : `"${p}"`));
  return exprs.length === 1 ? exprs[0]! : `(fh_cat ${exprs.join(' ')})`;
}

function numberLiteral(value: number): string {
  const text = String(value);
  return /^-?[0-9]+(?:\.[0-9]+)?$/.test(text) ? text : `(fh_num "${text}")`;
}

function describe(token: GoToken): string {
  switch (token.kind) {
    case 'identifier':
      return token.value;
    case 'string':
      return JSON.stringify(token.value);
    case 'number':
      return String(token.value);
    case 'field':
      return '.' + token.path.join('.');
    case 'variable':
      return '$' + token.name + token.path.map((p) => '.' + p).join('');
    default:
      return token.kind;
  }
}
