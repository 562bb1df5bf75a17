/** A JSON Schema (draft 2020-12) as a plain object: plugin option schemas and Firehook's own config schemas. */
export type JsonSchema = Readonly<Record<string, unknown>>;
