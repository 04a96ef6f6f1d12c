import { isPublicAddress } from './address-policy';

describe('isPublicAddress', () => {
  it('should allow public unicast addresses of both families', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])
      expect([address, isPublicAddress(address)]).toEqual([address, true]);
  });

  it('should refuse loopback, private, link-local, CGNAT, unspecified, multicast and documentation ranges', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '192.0.2.1',
      '::1',
      '::',
      'fe80::1',
      'fd12:3456::1',
      'fc00::1',
      'ff02::1',
      '2001:db8::1',
    ])
      expect([address, isPublicAddress(address)]).toEqual([address, false]);
  });

  it('should judge IPv6 forms that embed an IPv4 address by that address', () => {
    for (const address of ['::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe', '2002:c0a8:0101::1'])
      expect([address, isPublicAddress(address)]).toEqual([address, false]);
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
  });

  it('should refuse what is not an address', () => {
    expect(isPublicAddress('localhost')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });
});

describe('isPublicAddress on IPv6 ranges that reach IPv4 or internal space', () => {
  const refused = (addresses: string[]) => {
    for (const address of addresses) expect([address, isPublicAddress(address)]).toEqual([address, false]);
  };

  it('should refuse IPv4-compatible addresses (::/96, deprecated), whatever IPv4 they hold', () => {
    refused(['::7f00:1', '::127.0.0.1', '::a9fe:a9fe', '::808:808', '0:0:0:0:0:0:a00:1']);
  });

  it('should judge IPv4-mapped addresses (::ffff:0:0/96) by their IPv4 in every spelling', () => {
    refused(['::ffff:10.0.0.1', '0:0:0:0:0:ffff:7f00:1', '0:0:0:0:0:FFFF:127.0.0.1', '::ffff:0:0', '::ffff:a9fe:a9fe']);
    expect(isPublicAddress('0:0:0:0:0:ffff:808:808')).toBe(true);
  });

  it('should refuse IPv4-translated addresses (::ffff:0:0:0/96)', () => {
    refused(['::ffff:0:7f00:1', '::ffff:0:808:808']);
  });

  it('should judge well-known NAT64 addresses (64:ff9b::/96) by their IPv4 in every spelling', () => {
    refused(['64:ff9b::7f00:1', '64:ff9b::127.0.0.1', '64:ff9b:0:0:0:0:a9fe:a9fe', '64:ff9b::a00:1', '64:ff9b::']);
    expect(isPublicAddress('64:ff9b::808:808')).toBe(true);
  });

  it('should refuse local-use NAT64 addresses (64:ff9b:1::/48), whose IPv4 the operator places', () => {
    refused(['64:ff9b:1::7f00:1', '64:ff9b:1::808:808', '64:ff9b:1:ffff::1']);
  });

  it('should refuse Teredo addresses (2001::/32), which carry an IPv4 server and an obscured IPv4 client', () => {
    refused(['2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:ffff:ffff::']);
  });

  it('should judge 6to4 addresses (2002::/16) by the IPv4 they embed in every spelling', () => {
    refused(['2002:7f00::1', '2002::', '2002:a00:1::1', '2002:c0a8:101::1', '2002:a9fe:a9fe:0:0:0:0:1']);
    expect(isPublicAddress('2002:808:808::1')).toBe(true);
  });

  it('should refuse unique local (fc00::/7) and link-local (fe80::/10) addresses, with or without a zone', () => {
    refused(['fc00::', 'fdff:ffff:ffff:ffff::1', 'fe80::1', 'febf:ffff::1', 'fe80::1%eth0', 'FE80::ABCD']);
    expect(isPublicAddress('fe00::1')).toBe(false); // reserved, still not public
  });

  it('should refuse the IPv6 documentation and benchmarking ranges', () => {
    refused(['3fff::1', '2001:2::1']);
  });
});
