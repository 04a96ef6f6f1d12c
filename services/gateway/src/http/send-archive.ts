import type { FastifyReply } from 'fastify';

/**
 * Raw archive responses as the reference server sends them: `application/x-gzip`, and the bare
 * filename as Content-Disposition. Filenames are built from validated names and releases only,
 * so they cannot carry quotes, separators or line breaks.
 */
export function sendArchive(reply: FastifyReply, filename: string, bytes: Buffer): Buffer {
  void reply.header('content-type', 'application/x-gzip').header('content-disposition', filename);
  return bytes;
}
