/**
 * Which escaping helper writes each value, by template format. In `.json` templates the literal
 * text is scanned so a value inside a string literal is escaped as string content and a value
 * outside quotes becomes a JSON value (quoted string, number, boolean, null or JSON text).
 */
import type { TemplateFormat } from './template-service.ts';
import type { OutputPolicy } from './go-translate.ts';

/** Tracks whether the text so far ends inside a JSON string literal. */
class JsonOutputPolicy implements OutputPolicy {
  private inString = false;
  private escaped = false;

  text(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!this.inString) {
        if (c === 0x22) this.inString = true;
      } else if (this.escaped) {
        this.escaped = false;
      } else if (c === 0x5c) {
        this.escaped = true;
      } else if (c === 0x22) {
        this.inString = false;
      }
    }
  }

  helper(): string {
    return this.inString ? 'fh_jstr' : 'fh_jval';
  }
}

class FixedOutputPolicy implements OutputPolicy {
  private readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  text(): void {}
  helper(): string {
    return this.name;
  }
}

/** The policy for a template: Tyk compat escapes everything the Go html/template way. */
export function outputPolicyFor(format: TemplateFormat, tykCompatEscaping: boolean): OutputPolicy {
  if (tykCompatEscaping) return new FixedOutputPolicy('fh_tyk');
  if (format === 'json') return new JsonOutputPolicy();
  return new FixedOutputPolicy(format === 'xml' ? 'fh_xml' : 'fh_text');
}
