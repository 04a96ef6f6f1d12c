import { InvalidUsageError, MetadataTooLargeError } from '../errors';
import type { JsonValue } from './package.view';
import { measureReleaseMetadata } from './release-metadata';

const roomy = { maxBytes: 1024 * 1024, maxDepth: 32 };

function nested(levels: number): JsonValue {
  let value: JsonValue = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe('measureReleaseMetadata', () => {
  it.each<[string, JsonValue]>([
    ['an empty object', {}],
    ['an empty array', []],
    ['scalars of every kind', { s: 'x', n: -1.5e-7, t: true, f: false, z: null, zero: -0 }],
    ['non-ASCII and escapes', { ключ: 'ü€😀', ctl: '\u0001\n"\\', '': '' }],
    ['arrays of objects', [{ a: [1, 2, [3, { b: 'c' }]] }, [], {}]],
  ])('counts %s exactly as compact JSON in UTF-8 bytes', (_, value) => {
    expect(measureReleaseMetadata(value, roomy)).toBe(Buffer.byteLength(JSON.stringify(value), 'utf8'));
  });

  it('counts null as nothing', () => {
    expect(measureReleaseMetadata(null, { maxBytes: 0, maxDepth: 1 })).toBe(0);
  });

  it('accepts exactly the byte limit and refuses one byte more, with the limit in details', () => {
    const value = { k: 'x'.repeat(100) };
    const size = Buffer.byteLength(JSON.stringify(value));
    expect(measureReleaseMetadata(value, { maxBytes: size, maxDepth: 2 })).toBe(size);
    const refusal = catchError(() => measureReleaseMetadata(value, { maxBytes: size - 1, maxDepth: 2 }));
    expect(refusal).toBeInstanceOf(MetadataTooLargeError);
    expect(refusal).toMatchObject({ code: 'payload-too-large', details: { field: 'metadata', limit: size - 1 } });
  });

  it('accepts exactly the depth limit and refuses one level more', () => {
    expect(() => measureReleaseMetadata(nested(4), { maxBytes: 1000, maxDepth: 4 })).not.toThrow();
    const refusal = catchError(() => measureReleaseMetadata(nested(5), { maxBytes: 1000, maxDepth: 4 }));
    expect(refusal).toBeInstanceOf(InvalidUsageError);
    expect(refusal).toMatchObject({ details: { field: 'metadata', max_depth: 4 } });
  });

  it('refuses 100,000 levels of nesting as bad input, without overflowing the stack', () => {
    const deep = nested(100_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(catchError(() => measureReleaseMetadata(deep, roomy))).toBeInstanceOf(InvalidUsageError);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
