import { ociDigestOrNull, parseAnyOciDigest } from './oci-digest';

describe('ociDigestOrNull: the OCI digest rule, answering null where parseAnyOciDigest throws', () => {
  const sha256 = `sha256:${'a'.repeat(64)}`;
  const sha512 = `sha512:${'b'.repeat(128)}`;

  it('should give what parseAnyOciDigest gives for a sha256 or sha512 digest', () => {
    expect(ociDigestOrNull(sha256)).toEqual(parseAnyOciDigest(sha256));
    expect(ociDigestOrNull(sha512)).toEqual({ algorithm: 'sha512', hex: 'b'.repeat(128), text: sha512 });
  });

  it('should give null for every digest parseAnyOciDigest refuses', () => {
    for (const bad of [
      '',
      'a'.repeat(64),
      `sha256:${'A'.repeat(64)}`,
      `sha256:${'a'.repeat(63)}`,
      `md5:${'a'.repeat(32)}`,
      `sha512:${'b'.repeat(64)}`,
      'sha256:../x',
    ]) {
      expect(() => parseAnyOciDigest(bad)).toThrow();
      expect([bad, ociDigestOrNull(bad)]).toEqual([bad, null]);
    }
  });
});
