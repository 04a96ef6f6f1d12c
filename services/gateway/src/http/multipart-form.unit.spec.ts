import { InvalidUsageError } from '@wharf/domain';
import { multipartBoundary, parseMultipartForm } from './multipart-form';

function form(
  boundary: string,
  parts: { name: string; filename?: string; data: Buffer | string }[],
  preamble = '',
): Buffer {
  const chunks: Buffer[] = [Buffer.from(preamble)];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
    );
    chunks.push(Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

describe('multipartBoundary', () => {
  it('reads quoted and bare boundaries of multipart/form-data only', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc123')).toBe('abc123');
    expect(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('application/octet-stream')).toBeNull();
    expect(multipartBoundary(undefined)).toBeNull();
    expect(() => multipartBoundary('multipart/form-data')).toThrow(InvalidUsageError);
  });
});

describe('parseMultipartForm', () => {
  it('splits fields byte for byte, binary content and CRLFs inside data included', () => {
    const binary = Buffer.from([0x1f, 0x8b, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff]);
    const parts = parseMultipartForm(
      form(
        'XyZ',
        [
          { name: 'chart', filename: 'demo-1.0.0.tgz', data: binary },
          { name: 'prov', data: 'line one\r\nline two' },
        ],
        'ignored preamble\r\n',
      ),
      'XyZ',
    );
    expect(parts).toEqual([
      { name: 'chart', filename: 'demo-1.0.0.tgz', data: binary },
      { name: 'prov', data: Buffer.from('line one\r\nline two') },
    ]);
  });

  it('reads an empty form', () => {
    expect(parseMultipartForm(Buffer.from('--b--\r\n'), 'b')).toEqual([]);
  });

  it.each([
    ['no boundary at all', Buffer.from('just bytes')],
    ['an unterminated part', Buffer.from('--b\r\nContent-Disposition: form-data; name="chart"\r\n\r\nabc')],
    ['a part without a name', Buffer.from('--b\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--b--')],
    ['a part without Content-Disposition', Buffer.from('--b\r\nContent-Type: text/plain\r\n\r\nabc\r\n--b--')],
    ['garbage after a boundary', Buffer.from('--bXX\r\n')],
  ])('refuses %s', (_reason, body) => {
    expect(() => parseMultipartForm(body, 'b')).toThrow(InvalidUsageError);
  });

  it('refuses more parts than the limit', () => {
    const body = form(
      'b',
      Array.from({ length: 3 }, (_, i) => ({ name: `f${i}`, data: 'x' })),
    );
    expect(() => parseMultipartForm(body, 'b', { maxParts: 2, maxHeaderBytes: 1024 })).toThrow(/more than 2 parts/);
  });
});
