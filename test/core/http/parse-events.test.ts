import { describe, expect, it } from 'vitest';
import { ingestFormat, IngestProblem, parseEvents } from '../../../core/http/parse-events.ts';

function problem(body: string, type = 'application/json'): IngestProblem {
  try {
    parseEvents(body, type);
  } catch (error) {
    return error as IngestProblem;
  }
  throw new Error('expected a problem');
}

describe('parseEvents', () => {
  it('takes one object, an array or NDJSON', () => {
    expect(parseEvents('{"type":"AuthFailure","api_id":"a"}', 'application/json; charset=utf-8')).toHaveLength(1);
    expect(parseEvents('[{"type":"A"},{"type":"B"}]', 'application/json')).toHaveLength(2);
    expect(parseEvents('{"type":"A"}\r\n\n{"type":"B"}\n', 'application/x-ndjson').map((e) => e.type)).toEqual(['A', 'B']);
  });

  it('keeps nanoseconds of an RFC 3339 timestamp', () => {
    const [e] = parseEvents('{"type":"A","timestamp":"2015-01-15T17:21:15.111157073Z"}', 'application/json');
    expect(e!.time).toEqual({ epochMs: Date.UTC(2015, 0, 15, 17, 21, 15, 111), nanosOfSecond: 111157073 });
  });

  it('names the index and field of the first bad event', () => {
    expect(problem('[{"type":"A"},{"type":""}]')).toMatchObject({ index: 1, field: 'type' });
    expect(problem('[{"type":"A","api_id":5}]')).toMatchObject({ index: 0, field: 'api_id' });
    expect(problem('[{"type":"A","extra":1}]')).toMatchObject({ index: 0, field: 'extra' });
    expect(problem('{"type":"A"}\nnot json', 'application/x-ndjson')).toMatchObject({ index: 1 });
    expect(problem('[]').message).toMatch(/no events/);
    expect(problem('a=b', 'application/x-www-form-urlencoded').message).toMatch(/unsupported content type/);
  });

  it('rejects meta nested deeper than the limit', () => {
    let meta = '{}';
    for (let i = 0; i < 40; i++) meta = `{"a":${meta}}`;
    expect(problem(`{"type":"A","meta":${meta}}`)).toMatchObject({ field: 'meta' });
  });

  it('walks a body of hundreds of thousands of elements without overflowing the stack', () => {
    const numbers = `[${Array.from({ length: 350_000 }, () => '1').join(',')}]`;
    expect(problem(numbers)).toMatchObject({ index: 0, status: 400 });
    expect(problem(numbers).message).toMatch(/must be a JSON object \(got number\)/);
    const events = `[${Array.from({ length: 350_000 }, () => '{"type":"A"}').join(',')}]`;
    expect(parseEvents(events, 'application/json')).toHaveLength(350_000);
    expect(problem(`[{"type":"A"},{"type":"A"},[]]`)).toMatchObject({ index: 2 });
  });

  it('caps the events per body with a 413 naming ingest_max_events, in JSON and NDJSON', () => {
    const three = '[{"type":"A"},{"type":"B"},{"type":"C"}]';
    expect(parseEvents(three, 'application/json', { maxEvents: 3 })).toHaveLength(3);
    const over = (() => {
      try {
        parseEvents(three, 'application/json', { maxEvents: 2 });
      } catch (error) {
        return error as IngestProblem;
      }
      throw new Error('expected a problem');
    })();
    expect(over).toMatchObject({ status: 413, index: undefined });
    expect(over.message).toMatch(/more than 2 events.*ingest_max_events/);
    expect(() => parseEvents('{"type":"A"}\n{"type":"B"}\n{"type":"C"}', 'application/x-ndjson', { maxEvents: 2 })).toThrow(/ingest_max_events/);
  });

  it('caps api_id at 256 and type at 128 characters, naming index and field', () => {
    expect(parseEvents(JSON.stringify({ type: 'A', api_id: 'a'.repeat(256) }), 'application/json')).toHaveLength(1);
    expect(problem(JSON.stringify([{ type: 'A' }, { type: 'A', api_id: 'a'.repeat(257) }]))).toMatchObject({ index: 1, field: 'api_id' });
    expect(problem(JSON.stringify([{ type: 'T'.repeat(129) }]))).toMatchObject({ index: 0, field: 'type' });
  });

  it('reads JSON, +json types and NDJSON; a missing type only when told to', () => {
    expect(ingestFormat('application/json; charset=utf-8')).toBe('json');
    expect(ingestFormat('application/cloudevents+json')).toBe('json');
    expect(ingestFormat('Application/X-NDJSON')).toBe('ndjson');
    expect(ingestFormat(undefined)).toBe('json');
    expect(ingestFormat(undefined, false)).toBeUndefined();
    expect(ingestFormat('', false)).toBeUndefined();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx'])
      expect(ingestFormat(type), type).toBeUndefined();
  });
});
