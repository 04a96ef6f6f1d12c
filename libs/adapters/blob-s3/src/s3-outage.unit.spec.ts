import { S3ServiceException } from '@aws-sdk/client-s3';
import { isS3Outage } from './s3-outage';

const answered = (httpStatusCode: number) =>
  new S3ServiceException({ name: 'S3', $fault: 'server', $metadata: { httpStatusCode } });

describe('isS3Outage', () => {
  it.each([500, 503, 429])('is true for an answer %i', (status) => expect(isS3Outage(answered(status))).toBe(true));
  it('is true for a 503 as a cause', () =>
    expect(isS3Outage(new Error('put failed', { cause: answered(503) }))).toBe(true));
  it.each([404, 403, 400])('is false for an answer %i', (status) => expect(isS3Outage(answered(status))).toBe(false));
  it('is false for a plain error', () => expect(isS3Outage(new Error('x'))).toBe(false));
});
