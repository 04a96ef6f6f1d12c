import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { StreamedJson, withBase64Blob } from './appr.presenter';

async function text(streamed: StreamedJson): Promise<string> {
  let out = '';
  for await (const chunk of streamed.stream) out += String(chunk);
  return out;
}

describe('withBase64Blob', () => {
  const fields = { package: 'ns/app', release: '1.0.0', media_type: 'helm', filename: 'ns_app_1.0.0.tar.gz' };

  it('should build the whole object for bytes in memory', () => {
    const blob = Buffer.from('the archive');
    expect(withBase64Blob(fields, blob, blob.length)).toEqual({ ...fields, blob: blob.toString('base64') });
  });

  // Chunk sizes that split the 3-byte groups of base64 every way (and an empty chunk).
  it.each([0, 1, 2, 3, 4, 1000, 1001, 1002])(
    'should stream exactly the JSON text of the whole object, with its length (%i bytes)',
    async (size) => {
      const blob = randomBytes(size);
      const chunks = [blob.subarray(0, 1), Buffer.alloc(0), blob.subarray(1, 3), blob.subarray(3, 8), blob.subarray(8)];
      const streamed = withBase64Blob(fields, Readable.from(chunks), size) as StreamedJson;
      const json = await text(streamed);
      expect(json).toBe(JSON.stringify({ ...fields, blob: blob.toString('base64') }));
      expect(streamed.length).toBe(Buffer.byteLength(json));
    },
  );
});
