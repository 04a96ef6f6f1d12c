import { echoableHost } from './discovery.controller';

describe('echoableHost', () => {
  it('should echo no Host in enforced mode unless allowed', () => {
    expect(echoableHost('evil.example', null, 'enforced')).toBeNull();
    expect(echoableHost('registry.example:5000', null, 'enforced')).toBeNull();
  });

  it('should echo any well-formed Host in open mode without an allow-list', () => {
    expect(echoableHost('Localhost:5000', null, 'open')).toBe('localhost:5000');
    expect(echoableHost('evil.example/<script>', null, 'open')).toBeNull();
    expect(echoableHost(undefined, null, 'open')).toBeNull();
  });

  it('should echo only allowed hosts, in either mode: a bare host with any port, host:port exactly', () => {
    const allowed = ['registry.example', 'other.example:8443', '[::1]'];
    for (const mode of ['open', 'enforced'] as const) {
      expect(echoableHost('REGISTRY.example', allowed, mode)).toBe('registry.example');
      expect(echoableHost('registry.example:5000', allowed, mode)).toBe('registry.example:5000');
      expect(echoableHost('other.example:8443', allowed, mode)).toBe('other.example:8443');
      expect(echoableHost('other.example', allowed, mode)).toBeNull();
      expect(echoableHost('other.example:9999', allowed, mode)).toBeNull();
      expect(echoableHost('[::1]:5000', allowed, mode)).toBe('[::1]:5000');
      expect(echoableHost('evil.example', allowed, mode)).toBeNull();
      expect(echoableHost('registry.example.evil.example', allowed, mode)).toBeNull();
    }
  });
});
