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

/** A pull answered with the blob store's own short-lived URL (WHARF_PULL_REDIRECT). */
export function redirectTo(reply: FastifyReply, location: string): string {
  void reply.status(302).header('location', location);
  return '';
}
