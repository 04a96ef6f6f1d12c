import { MongoNetworkError, MongoServerError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';
import { isMongoOutage } from './mongo-outage';

describe('isMongoOutage', () => {
  it.each([
    ['server selection timing out', Object.assign(new Error('x'), { name: 'MongoServerSelectionError' })],
    ['a network error', new MongoNetworkError('connection reset')],
    ['a closed topology', new MongoTopologyClosedError()],
    ['a network error as the cause', new Error('apply failed', { cause: new MongoNetworkError('x') })],
  ])('is true for %s', (_name, error) => expect(isMongoOutage(error)).toBe(true));

  it.each([
    ['a refused command (duplicate key)', new MongoServerError({ message: 'E11000 duplicate key', code: 11000 })],
    ['a plain error', new Error('cannot fold')],
    ['a non-error', 'boom'],
  ])('is false for %s', (_name, error) => expect(isMongoOutage(error)).toBe(false));

  it('knows the real class names of the driver it is built against', () => {
    expect(new MongoServerSelectionError('x', {} as never).name).toBe('MongoServerSelectionError');
  });
});
