import { chartArchive } from '@wharf/testing';
import { ArchiveTooLargeError, InvalidBlobError } from '../errors';
import { decodeBlobBase64 } from './blob-encoding';

const MAX = 1024 * 1024;

describe('decodeBlobBase64', () => {
  it('should decode a padded blob to the original bytes', () => {
    const archive = chartArchive();
    expect(decodeBlobBase64(archive.toString('base64'), MAX).equals(archive)).toBe(true);
  });

  it.each([
    ['YQ==', 'a'],
    ['YWI=', 'ab'],
    ['YWJj', 'abc'],
    ['YQ', 'a'],
    ['YWI', 'ab'],
  ])('should decode %p with or without padding to %p', (text, expected) => {
    expect(decodeBlobBase64(text, MAX).toString('latin1')).toBe(expected);
  });

  it('should accept CR/LF line breaks as MIME encoders write them', () => {
    const bytes = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
    const wrapped = bytes.toString('base64').replace(/.{76}/g, '$&\r\n').concat('\n');
    expect(decodeBlobBase64(wrapped, MAX).equals(bytes)).toBe(true);
  });

  it('should decode the + and / characters of the standard alphabet', () => {
    expect([...decodeBlobBase64('+/8=', MAX)]).toEqual([0xfb, 0xff]);
  });

  it.each([[undefined], [null], [42], [{}], [['YQ==']], [Buffer.from('YQ==')]])(
    'should throw InvalidBlobError for the non-string %p',
    (value) => {
      expect(() => decodeBlobBase64(value, MAX)).toThrow(InvalidBlobError);
    },
  );

  it.each(['', '\r\n', '\n\n'])('should throw InvalidBlobError for the empty blob %p', (value) => {
    expect(() => decodeBlobBase64(value, MAX)).toThrow(InvalidBlobError);
  });

  it.each([
    ['a space', 'YW Jj'],
    ['a tab', 'YW\tJj'],
    ['URL-safe -', 'YW-j'],
    ['URL-safe _', 'YW_j'],
    ['a non-ASCII letter', 'YWJ\u0430'],
    ['a NUL', 'YWJj\u0000'],
    ['padding in the middle', 'YQ==YWJj'],
    ['three padding characters', 'YQ==='],
    ['padding that does not complete a group', 'YQ='],
    ['only padding', '===='],
    ['an impossible length', 'YWJjZ'],
    ['a data URL prefix', 'data:application/gzip;base64,YWJj'],
  ])('should throw InvalidBlobError for %s', (_label, text) => {
    expect(() => decodeBlobBase64(text, MAX)).toThrow(InvalidBlobError);
  });

  it('should accept a blob of exactly maxBytes', () => {
    expect(decodeBlobBase64(Buffer.alloc(300, 7).toString('base64'), 300)).toHaveLength(300);
  });

  it('should throw ArchiveTooLargeError(blob-size) for a blob one byte over maxBytes', () => {
    const text = Buffer.alloc(301, 7).toString('base64');
    expect(() => decodeBlobBase64(text, 300)).toThrow(ArchiveTooLargeError);
    expect(() => decodeBlobBase64(text, 300)).toThrow(
      expect.objectContaining({ details: { limit: 'blob-size', max: 300 } }),
    );
  });

  it('should refuse an oversized blob before allocating its bytes', () => {
    const allocate = jest.spyOn(Buffer, 'from');
    try {
      expect(() => decodeBlobBase64('A'.repeat(4_000_000), 1000)).toThrow(ArchiveTooLargeError);
      expect(allocate).not.toHaveBeenCalled();
    } finally {
      allocate.mockRestore();
    }
  });
});
