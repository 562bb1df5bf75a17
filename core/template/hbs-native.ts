/**
 * Native Handlebars templates (`.hbs`): parse with Handlebars, then route every escaped mustache
 * (`{{x}}`, `{{helper a b}}`) through the format's escaping helper, so `x.json.hbs` produces valid
 * JSON just like a translated Go template. Triple-stash `{{{x}}}` stays raw, as the author asked.
 */
import type { OutputPolicy } from './go-translate.ts';

interface AstNode {
  type: string;
  loc?: unknown;
}
interface PathNode extends AstNode {
  original: unknown;
}
interface MustacheNode extends AstNode {
  path: PathNode;
  params: AstNode[];
  hash?: AstNode;
  escaped: boolean;
  strip?: unknown;
}
interface ProgramNode extends AstNode {
  body: AstNode[];
}
interface BlockNode extends AstNode {
  program?: ProgramNode;
  inverse?: ProgramNode;
}

/**
 * Rewrite a parsed program in place. `isHelper` tells whether a bare `{{name}}` calls a helper
 * (then it is kept as a call) or reads a field.
 */
export function routeMustaches(program: ProgramNode, policy: OutputPolicy, isHelper: (name: string) => boolean): void {
  const body = program.body;
  for (let i = 0; i < body.length; i++) {
    const node = body[i]!;
    if (node.type === 'ContentStatement') {
      policy.text(String((node as AstNode & { value: string }).value));
    } else if (node.type === 'MustacheStatement') {
      const m = node as MustacheNode;
      if (!m.escaped) continue;
      const call =
        m.params.length > 0 || m.hash !== undefined || (m.path.type === 'PathExpression' && typeof m.path.original === 'string' && isHelper(m.path.original));
      const inner: AstNode = call ? ({ type: 'SubExpression', path: m.path, params: m.params, hash: m.hash, loc: m.loc } as AstNode) : m.path;
      const name = policy.helper();
      const helperPath = { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc: m.loc };
      body[i] = { type: 'MustacheStatement', path: helperPath, params: [inner], hash: undefined, escaped: false, strip: m.strip, loc: m.loc } as AstNode;
    } else if (node.type === 'BlockStatement') {
      const block = node as BlockNode;
      if (block.program) routeMustaches(block.program, policy, isHelper);
      if (block.inverse) routeMustaches(block.inverse, policy, isHelper);
    }
  }
}
