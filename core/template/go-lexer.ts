/**
 * Lexer for Go's text/template syntax (the dialect Tyk's webhook templates use): splits a template
 * into text and actions, applies `{{-` / `-}}` whitespace trimming, drops comments, and tokenises
 * the inside of each action.
 */

export type GoToken = { spaced: boolean } & (
  | { kind: 'field'; path: string[] }
  | { kind: 'variable'; name: string; path: string[] }
  | { kind: 'identifier'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' }
);

export type GoItem = { kind: 'text'; text: string; line: number } | { kind: 'action'; tokens: GoToken[]; line: number };

/** A syntax error at a line of the template source. */
export class GoTemplateSyntaxError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.name = 'GoTemplateSyntaxError';
    this.line = line;
  }
}

const SPACE = /[ \t\r\n]/;
const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{Nd}_]/u;

function isSpace(c: string | undefined): boolean {
  return c !== undefined && SPACE.test(c);
}

/** Split a template into text and action items, trimming and dropping comments as Go does. */
export function lexGoTemplate(source: string): GoItem[] {
  const items: GoItem[] = [];
  let pos = 0;
  let line = 1;
  let trimNext = false;
  const pushText = (text: string, at: number): void => {
    const value = trimNext ? text.replace(/^[ \t\r\n]+/, '') : text;
    trimNext = false;
    if (value !== '') items.push({ kind: 'text', text: value, line: at });
  };
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    if (open === -1) {
      pushText(source.slice(pos), line);
      break;
    }
    let text = source.slice(pos, open);
    const textLine = line;
    line += countLines(text);
    let inner = open + 2;
    if (source[inner] === '-' && isSpace(source[inner + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      inner += 2;
    }
    pushText(text, textLine);
    const actionLine = line;
    if (source.startsWith('/*', inner)) {
      const end = source.indexOf('*/', inner + 2);
      if (end === -1) throw new GoTemplateSyntaxError(actionLine, 'unclosed comment');
      const close = closeDelim(source, end + 2);
      if (close === undefined) throw new GoTemplateSyntaxError(actionLine, 'comment ends before closing delimiter');
      line += countLines(source.slice(open, close.end));
      trimNext = close.trim;
      pos = close.end;
      continue;
    }
    const { tokens, end, trim } = lexAction(source, inner, actionLine);
    line += countLines(source.slice(open, end));
    items.push({ kind: 'action', tokens, line: actionLine });
    trimNext = trim;
    pos = end;
  }
  return items;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** At `pos`: `}}` or ` -}}` (any space before the dash). */
function closeDelim(source: string, pos: number): { end: number; trim: boolean } | undefined {
  if (source.startsWith('}}', pos)) return { end: pos + 2, trim: false };
  if (isSpace(source[pos]) && source.startsWith('-}}', pos + 1)) return { end: pos + 4, trim: true };
  return undefined;
}

function lexAction(source: string, start: number, line: number): { tokens: GoToken[]; end: number; trim: boolean } {
  const tokens: GoToken[] = [];
  let pos = start;
  let spaced = false;
  const fail = (message: string): never => {
    throw new GoTemplateSyntaxError(line, message);
  };
  for (;;) {
    const close = closeDelim(source, pos);
    if (close !== undefined) return { tokens, end: close.end, trim: close.trim };
    const c = source[pos];
    if (c === undefined) return fail('unclosed action');
    if (isSpace(c)) {
      pos++;
      spaced = true;
      continue;
    }
    const push = (token: GoToken, length: number): void => {
      tokens.push(token);
      pos += length;
      spaced = false;
    };
    if (c === '|') push({ kind: 'pipe', spaced }, 1);
    else if (c === '(') push({ kind: 'lparen', spaced }, 1);
    else if (c === ')') push({ kind: 'rparen', spaced }, 1);
    else if (c === ',') push({ kind: 'comma', spaced }, 1);
    else if (c === ':' && source[pos + 1] === '=') push({ kind: 'declare', spaced }, 2);
    else if (c === '=') push({ kind: 'assign', spaced }, 1);
    else if (c === '"') {
      const end = findStringEnd(source, pos, '"') ?? fail('unterminated quoted string');
      push({ kind: 'string', value: unquoteGo(source.slice(pos + 1, end), line), spaced }, end + 1 - pos);
    } else if (c === '`') {
      const end = source.indexOf('`', pos + 1);
      if (end === -1) fail('unterminated raw quoted string');
      push({ kind: 'string', value: source.slice(pos + 1, end).replace(/\r/g, ''), spaced }, end + 1 - pos);
    } else if (c === "'") {
      const end = findStringEnd(source, pos, "'") ?? fail('unterminated character constant');
      const value = unquoteGo(source.slice(pos + 1, end), line);
      const code = value.codePointAt(0);
      if (code === undefined || String.fromCodePoint(code) !== value) fail(`malformed character constant: ${source.slice(pos, end + 1)}`);
      push({ kind: 'number', value: code!, spaced }, end + 1 - pos);
    } else if (c === '.' && !/[0-9]/.test(source[pos + 1] ?? '')) {
      const { path, length } = readFieldChain(source, pos);
      push({ kind: 'field', path, spaced }, length);
    } else if (c === '$') {
      let i = pos + 1;
      while (i < source.length && IDENT_PART.test(source[i]!)) i++;
      const name = source.slice(pos + 1, i);
      const { path, length } = readFieldChain(source, i);
      push({ kind: 'variable', name, path, spaced }, i - pos + length);
    } else if (/[0-9+\-.]/.test(c)) {
      const match = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?)/.exec(source.slice(pos));
      const text = match?.[0] ?? '';
      if (!/[0-9]/.test(text)) fail(`bad character ${JSON.stringify(c)}`);
      push({ kind: 'number', value: parseGoNumber(text, line), spaced }, text.length);
    } else if (IDENT_START.test(c)) {
      let i = pos + 1;
      while (i < source.length && IDENT_PART.test(source[i]!)) i++;
      push({ kind: 'identifier', value: source.slice(pos, i), spaced }, i - pos);
    } else {
      fail(`unexpected ${JSON.stringify(c)} in command`);
    }
  }
}

/** `.A.B.C` starting at `pos` (which may not hold a dot: then an empty chain). */
function readFieldChain(source: string, pos: number): { path: string[]; length: number } {
  const path: string[] = [];
  let i = pos;
  while (source[i] === '.') {
    let j = i + 1;
    while (j < source.length && IDENT_PART.test(source[j]!)) j++;
    if (j === i + 1) {
      // A lone dot: `.` itself (only valid as the first element of the chain).
      if (path.length === 0 && i === pos) return { path, length: 1 };
      break;
    }
    path.push(source.slice(i + 1, j));
    i = j;
  }
  return { path, length: i - pos };
}

function findStringEnd(source: string, start: number, quote: string): number | undefined {
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === quote) return i;
    else if (c === '\n') return undefined;
  }
  return undefined;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\u0007', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** Go's strconv.Unquote for the body of a quoted string or rune literal. */
function unquoteGo(body: string, line: number): string {
  if (!body.includes('\\')) return body;
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, esc: string) => {
    const simple = SIMPLE_ESCAPES[esc];
    if (simple !== undefined) return simple;
    if (/^[xuU]/.test(esc)) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (/^[0-7]{3}$/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
    throw new GoTemplateSyntaxError(line, `unknown escape sequence: \\${esc}`);
  });
}

function parseGoNumber(text: string, line: number): number {
  const clean = text.replace(/_/g, '');
  const sign = clean.startsWith('-') ? -1 : 1;
  const unsigned = clean.replace(/^[+-]/, '');
  let value: number;
  if (/^0[xX]/.test(unsigned)) value = parseInt(unsigned.slice(2), 16);
  else if (/^0[oO]/.test(unsigned)) value = parseInt(unsigned.slice(2), 8);
  else if (/^0[bB]/.test(unsigned)) value = parseInt(unsigned.slice(2), 2);
  else if (/^0[0-7]+$/.test(unsigned)) value = parseInt(unsigned, 8);
  else value = Number(unsigned);
  if (!Number.isFinite(value)) throw new GoTemplateSyntaxError(line, `bad number syntax: ${JSON.stringify(text)}`);
  return sign * value;
}
