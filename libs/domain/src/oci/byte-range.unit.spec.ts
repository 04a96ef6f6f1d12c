import { RangeNotSatisfiableError } from '../errors';
import { parseByteRange, resolveByteRange } from './byte-range';

describe('parseByteRange', () => {
  it('reads one range of bytes: from-to, from to the end, or the last n bytes', () => {
    expect(parseByteRange('bytes=500-1499')).toEqual({ first: 500, last: 1499 });
    expect(parseByteRange('bytes=500-')).toEqual({ first: 500, last: null });
    expect(parseByteRange('bytes=-500')).toEqual({ suffix: 500 });
    expect(parseByteRange(' bytes = 0 - 0 ')).toEqual({ first: 0, last: 0 });
  });

  it.each([undefined, '', 'bytes=-', 'bytes=0-1,5-6', 'items=0-1', 'bytes=a-b', 'bytes 0-1'])(
    'honours no range in %j (the whole blob is answered)',
    (header) => {
      expect(parseByteRange(header)).toBeNull();
    },
  );
});

describe('resolveByteRange', () => {
  const size = 2048;

  it('names the bytes of the blob asked for, the end clamped to the last byte', () => {
    expect(resolveByteRange({ first: 500, last: 1499 }, size)).toEqual({ start: 500, end: 1499, size });
    expect(resolveByteRange({ first: 500, last: null }, size)).toEqual({ start: 500, end: 2047, size });
    expect(resolveByteRange({ first: 2000, last: 5000 }, size)).toEqual({ start: 2000, end: 2047, size });
    expect(resolveByteRange({ suffix: 500 }, size)).toEqual({ start: 1548, end: 2047, size });
    expect(resolveByteRange({ suffix: 5000 }, size)).toEqual({ start: 0, end: 2047, size });
  });

  it.each([
    ['starts past the end', { first: 5000, last: 10000 }, size],
    ['starts at the end', { first: 2048, last: null }, size],
    ['ends before it starts', { first: 500, last: 0 }, size],
    ['is an empty suffix', { suffix: 0 }, size],
    ['asks any byte of an empty blob', { suffix: 10 }, 0],
  ])('refuses a range that %s (416 with the size)', (_, request, blobSize) => {
    expect(() => resolveByteRange(request, blobSize)).toThrow(RangeNotSatisfiableError);
    try {
      resolveByteRange(request, blobSize);
    } catch (error) {
      expect((error as RangeNotSatisfiableError).size).toBe(blobSize);
    }
  });
});
