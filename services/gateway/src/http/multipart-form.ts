/**
 * A small, bounded reader of `multipart/form-data` bodies (RFC 7578), for the ChartMuseum upload
 * route, whose clients (helm cm-push, curl -F) send the chart and its provenance file as form
 * fields. The body is already in memory (bounded by the server's body limit); this only splits
 * it. Anything malformed is an InvalidUsageError, never a partial result.
 */
import { InvalidUsageError } from '@wharf/domain';

export interface FormPart {
  name: string;
  filename?: string;
  data: Buffer;
}

export interface MultipartLimits {
  maxParts: number;
  maxHeaderBytes: number;
}

const DEFAULT_LIMITS: MultipartLimits = { maxParts: 16, maxHeaderBytes: 8 * 1024 };
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` Content-Type, or null for any other type. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  if (!match) throw malformed('no boundary in Content-Type');
  return match[1] ?? match[2] ?? null;
}

export function parseMultipartForm(
  body: Buffer,
  boundary: string,
  limits: MultipartLimits = DEFAULT_LIMITS,
): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  let position = body.indexOf(delimiter);
  if (position !== 0 && (position < 0 || body.indexOf(nextDelimiter) !== position - 2))
    throw malformed('the body does not start with the boundary');
  position += delimiter.length;
  const parts: FormPart[] = [];
  for (;;) {
    if (body.subarray(position, position + 2).toString() === '--') return parts;
    if (!body.subarray(position, position + 2).equals(CRLF))
      throw malformed('a boundary is not followed by a line break');
    if (parts.length >= limits.maxParts) throw malformed(`more than ${limits.maxParts} parts`);
    const headersStart = position + 2;
    const headersEnd = body.indexOf(HEADER_END, headersStart);
    if (headersEnd < 0 || headersEnd - headersStart > limits.maxHeaderBytes)
      throw malformed('part headers are missing or too long');
    const dataStart = headersEnd + HEADER_END.length;
    const dataEnd = body.indexOf(nextDelimiter, dataStart);
    if (dataEnd < 0) throw malformed('a part is not closed by the boundary');
    parts.push({
      ...dispositionOf(body.subarray(headersStart, headersEnd).toString('utf8')),
      data: body.subarray(dataStart, dataEnd),
    });
    position = dataEnd + nextDelimiter.length;
  }
}

function dispositionOf(headers: string): { name: string; filename?: string } {
  const line = headers.split('\r\n').find((h) => /^content-disposition\s*:/i.test(h));
  if (!line || !/:\s*form-data\s*(;|$)/i.test(line))
    throw malformed('a part has no Content-Disposition: form-data header');
  const name = parameter(line, 'name');
  if (name === undefined) throw malformed('a part has no name');
  const filename = parameter(line, 'filename');
  return filename === undefined ? { name } : { name, filename };
}

function parameter(line: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}=(?:"([^"]*)"|([^\\s;"]+))`, 'i').exec(line);
  return match ? (match[1] ?? match[2]) : undefined;
}

function malformed(reason: string): InvalidUsageError {
  return new InvalidUsageError(`malformed multipart/form-data body: ${reason}`, { field: 'body' });
}
