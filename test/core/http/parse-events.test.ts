import { describe, expect, it } from 'vitest';
import { IngestProblem, parseEvents } from '../../../core/http/parse-events.ts';

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
});
