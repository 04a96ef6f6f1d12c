import { InvalidUsageError } from '@wharf/domain';
import { deliveryPage } from './webhook-requests';

describe('deliveryPage', () => {
  it("should take 'before' as either store issues it: a SQLite number or a MongoDB '<subscription>~<event id>'", () => {
    expect(deliveryPage({ before: '42' })).toEqual({ limit: expect.any(Number), before: '42' });
    const mongoId = 'b6f1c2d0-5a4e-4c3b-9f2a-1d2e3f4a5b6c~0f9e8d7c-6b5a-4c3d-8e2f-1a2b3c4d5e6f';
    expect(deliveryPage({ before: mongoId, limit: '10' })).toEqual({ limit: 10, before: mongoId });
  });

  it("should refuse a 'before' that no store issues: too long, or with characters outside an id's", () => {
    for (const before of ['x'.repeat(257), 'a b', '../x', '<script>'])
      expect(() => deliveryPage({ before })).toThrow(InvalidUsageError);
  });
});
