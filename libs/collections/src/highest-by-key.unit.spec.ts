import { HighestByKey } from './highest-by-key';

describe(HighestByKey.name, () => {
  it('should keep, per key, the value with the highest sequence offered, whatever the order', () => {
    const highest = new HighestByKey<{ sequence: number; id: string }>(10);
    highest.offer('a', { sequence: 3, id: 'a3' });
    highest.offer('a', { sequence: 2, id: 'a2' });
    highest.offer('a', { sequence: 3, id: 'again' });
    highest.offer('b', { sequence: 1, id: 'b1' });
    expect(highest.get('a')).toEqual({ sequence: 3, id: 'a3' });
    expect(highest.sequence('b')).toBe(1);
    expect(highest.sequence('unknown')).toBe(0);
    expect(highest.get('unknown')).toBeUndefined();
  });

  it('should forget the least recently used key beyond its bound', () => {
    const highest = new HighestByKey(2);
    highest.offer('a', { sequence: 1 });
    highest.offer('b', { sequence: 1 });
    highest.sequence('a');
    highest.offer('c', { sequence: 1 });
    expect(['a', 'b', 'c'].map((key) => highest.sequence(key))).toEqual([1, 0, 1]);
  });
});
