import { sourceTime } from './source-times';

const NOW = new Date('2026-12-07T00:00:00Z');

describe('sourceTime', () => {
  it.each([
    ['an RFC 3339 time with an offset (Helm)', '2019-03-04T05:06:07.123456789+01:00', '2019-03-04T04:06:07.123Z'],
    ['a UTC time', '2019-03-04T05:06:07Z', '2019-03-04T05:06:07.000Z'],
    ["cnr-server's naive utcnow().isoformat()", '2019-03-04T05:06:07.654321', '2019-03-04T05:06:07.654Z'],
    ['a Date (a file time, a YAML timestamp)', new Date('2019-03-04T05:06:07Z'), '2019-03-04T05:06:07.000Z'],
  ])('reads %s as an ISO instant in UTC', (_, value, expected) => {
    expect(sourceTime(value, NOW)).toBe(expected);
  });

  it.each([
    ['not a time', 'last tuesday'],
    ['a date alone', '2019-03-04'],
    ['a time after now', '2026-12-07T00:00:01Z'],
    ['a number', 1551675967],
    ['nothing', undefined],
    ['an invalid Date', new Date('nope')],
  ])('gives none for %s (the import keeps its own time)', (_, value) => {
    expect(sourceTime(value, NOW)).toBeUndefined();
  });
});
