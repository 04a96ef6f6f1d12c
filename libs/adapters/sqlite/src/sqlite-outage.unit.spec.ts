import { isSqliteOutage } from './sqlite-outage';

describe('isSqliteOutage', () => {
  it.each(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR'])('is true for %s', (code) =>
    expect(isSqliteOutage(Object.assign(new Error('x'), { code }))).toBe(true),
  );

  it('is true for one of those as a cause', () => {
    expect(
      isSqliteOutage(
        new Error('apply failed', { cause: Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }) }),
      ),
    ).toBe(true);
  });

  it.each([
    [
      'a constraint failure',
      Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
    ],
    ['a corrupt file', Object.assign(new Error('x'), { code: 'SQLITE_CORRUPT' })],
    ['a plain error', new Error('x')],
  ])('is false for %s', (_name, error) => expect(isSqliteOutage(error)).toBe(false));
});
