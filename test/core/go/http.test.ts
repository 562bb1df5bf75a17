import { describe, expect, it } from 'vitest';
import { canonicalMimeHeaderKey } from '../../../core/go/http.ts';

describe('canonicalMimeHeaderKey', () => {
  it('canonicalises as Go does and leaves invalid names alone', () => {
    expect(canonicalMimeHeaderKey('x-tyk-secret')).toBe('X-Tyk-Secret');
    expect(canonicalMimeHeaderKey('CONTENT-type')).toBe('Content-Type');
    expect(canonicalMimeHeaderKey('x--a')).toBe('X--A');
    expect(canonicalMimeHeaderKey('bad name')).toBe('bad name');
    expect(canonicalMimeHeaderKey('x_under')).toBe('X_under');
  });
});
