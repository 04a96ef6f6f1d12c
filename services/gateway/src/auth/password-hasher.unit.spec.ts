import { hashPassword, verifyPassword } from './password-hasher';

describe('password hasher', () => {
  it('should verify the right password only, with a fresh salt per hash and no trace of the password', async () => {
    const [a, b] = [await hashPassword('s3cret-pass'), await hashPassword('s3cret-pass')];
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(await verifyPassword('s3cret-pass', a)).toBe(true);
    expect(await verifyPassword('s3cret-pasS', a)).toBe(false);
  });

  it('should refuse hashes it cannot read rather than throw', async () => {
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$AA$AA')).toBe(false);
  });
});
