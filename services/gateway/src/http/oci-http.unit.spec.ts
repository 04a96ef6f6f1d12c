import type { FastifyReply } from 'fastify';
import { sendUploadState } from './oci-http';

/** A reply that keeps the status and headers it is given. */
function recordingReply(): { reply: FastifyReply; headers: Record<string, unknown>; status: () => number } {
  const headers: Record<string, unknown> = {};
  let code = 0;
  const reply = {
    status(value: number) {
      code = value;
      return reply;
    },
    header(name: string, value: unknown) {
      headers[name] = value;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, headers, status: () => code };
}

describe(sendUploadState.name, () => {
  it("answers the store's smallest chunk as OCI-Chunk-Min-Length, with the upload's location and range", () => {
    const { reply, headers, status } = recordingReply();
    sendUploadState(reply, { repository: 'ns/app', id: 'u1', size: 10, minChunkBytes: 8 * 1024 * 1024 }, 202);
    expect(status()).toBe(202);
    expect(headers).toMatchObject({
      location: '/v2/ns/app/blobs/uploads/u1',
      range: '0-9',
      'oci-chunk-min-length': 8 * 1024 * 1024,
    });
  });

  it('says no minimum when the store takes chunks of any size at the same cost', () => {
    const { reply, headers } = recordingReply();
    sendUploadState(reply, { repository: 'ns/app', id: 'u1', size: 0, minChunkBytes: 0 }, 202);
    expect(headers).not.toHaveProperty('oci-chunk-min-length');
    expect(headers).toMatchObject({ range: '0-0' });
  });
});
