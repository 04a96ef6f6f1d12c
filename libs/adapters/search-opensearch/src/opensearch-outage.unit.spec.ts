import { errors } from '@opensearch-project/opensearch';
import { isOpenSearchOutage } from './opensearch-outage';

describe('isOpenSearchOutage', () => {
  it.each([
    ['no living connection', new errors.NoLivingConnectionsError('x', {} as never)],
    ['a connection error', new errors.ConnectionError('x', {} as never)],
    ['a timeout', new errors.TimeoutError('x', {} as never)],
    ['a 503 answer', Object.assign(new Error('x'), { meta: { statusCode: 503 } })],
    ['a 429 answer', Object.assign(new Error('x'), { meta: { statusCode: 429 } })],
  ])('is true for %s', (_name, error) => expect(isOpenSearchOutage(error)).toBe(true));

  it.each([
    [
      'a 400 answer (a refused document)',
      Object.assign(new Error('mapper_parsing_exception'), { meta: { statusCode: 400 } }),
    ],
    ['a plain error', new Error('x')],
  ])('is false for %s', (_name, error) => expect(isOpenSearchOutage(error)).toBe(false));
});
