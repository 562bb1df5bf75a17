import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { ConfigProblem } from '../errors/firehook-error.ts';

/** A parsed file: one document (JSON) or several (multi-document YAML). */
export interface ParsedFile {
  file: string;
  documents: unknown[];
  problems: ConfigProblem[];
}

/** Read and parse a JSON or YAML file, reporting syntax errors with line and column. */
export async function parseDocumentFile(file: string): Promise<ParsedFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return {
      file,
      documents: [],
      problems: [{ file, pointer: '', message: `cannot read file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, severity: 'error' }],
    };
  }
  return parseDocumentText(file, text);
}

function parseDocumentText(file: string, text: string): ParsedFile {
  if (/\.ya?ml$/i.test(file)) return parseYaml(file, text);
  try {
    return { file, documents: [JSON.parse(text) as unknown], problems: [] };
  } catch (error) {
    return { file, documents: [], problems: [{ file, pointer: '', message: `invalid JSON: ${jsonErrorWhere(text, error as Error)}`, severity: 'error' }] };
  }
}

function parseYaml(file: string, text: string): ParsedFile {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const problems: ConfigProblem[] = [];
  const documents: unknown[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
        problems.push({ file, pointer: '', message: `invalid YAML: ${where}${e.message.split('\n')[0]}`, severity: 'error' });
      }
      continue;
    }
    const value = doc.toJS() as unknown;
    if (value !== null && value !== undefined) documents.push(value);
  }
  return { file, documents, problems };
}

/** Locate a JSON syntax error: V8's "position N" when given, else the YAML parser's (JSON is YAML). */
function jsonErrorWhere(text: string, error: Error): string {
  const match = /position (\d+)/.exec(error.message);
  const base = error.message.replace(/\s*\(line \d+ column \d+\)/, '').split('\n')[0] ?? error.message;
  if (!match) {
    const yamlError = parseAllDocuments(text).flatMap((d) => ('errors' in d ? d.errors : []))[0];
    const at = yamlError?.linePos?.[0];
    return at ? `line ${at.line}, column ${at.col}: ${base}` : base;
  }
  const pos = Number(match[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${col}: ${base}`;
}
