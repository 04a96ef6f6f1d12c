import type { WharfConfig } from '@wharf/config';
import { ociChallenge } from './oci-errors';
import { echoableHost, publicOrigin } from './public-origin';

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

describe('publicOrigin, and the OCI challenge that names it', () => {
  const config = (publicUrl: string | null, allowedHosts: string[] | null, mode: 'open' | 'enforced') =>
    ({ http: { publicUrl, allowedHosts }, auth: { mode } }) as unknown as Pick<WharfConfig, 'http' | 'auth'>;
  const request = { protocol: 'http', headers: { host: 'evil.example' } };

  it('should name WHARF_PUBLIC_URL whatever the Host, else an echoable Host, else nothing', () => {
    expect(publicOrigin(request, config('https://registry.example/', null, 'enforced'))).toBe(
      'https://registry.example',
    );
    expect(publicOrigin(request, config(null, null, 'enforced'))).toBe('');
    expect(publicOrigin(request, config(null, ['registry.example'], 'open'))).toBe('');
    expect(publicOrigin(request, config(null, null, 'open'))).toBe('http://evil.example');
  });

  it("should take no scheme but https or http from the request (a forwarded protocol is the client's word)", () => {
    const open = config(null, ['wharf.example'], 'open');
    const host = { host: 'wharf.example' };
    expect(publicOrigin({ protocol: 'https', headers: host }, open)).toBe('https://wharf.example');
    expect(publicOrigin({ protocol: 'https://evil.example/#', headers: host }, open)).toBe('http://wharf.example');
    expect(publicOrigin({ protocol: 'javascript', headers: host }, open)).toBe('http://wharf.example');
  });

  it('should put the token endpoint under that origin, or the path alone', () => {
    expect(ociChallenge('GET', '/v2/', 'https://registry.example')).toBe(
      'Bearer realm="https://registry.example/v2/token",service="wharf"',
    );
    expect(ociChallenge('PUT', '/v2/ns/app/manifests/1.0.0', '')).toBe(
      'Bearer realm="/v2/token",service="wharf",scope="repository:ns/app:pull,push"',
    );
  });
});
