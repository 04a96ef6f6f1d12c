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
