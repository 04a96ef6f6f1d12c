import { JsonLogger, loadConfig } from '@wharf/config';
import { warnWhenDiscoveryHasNoOrigin } from './discovery-origin';

function warningsFor(env: Record<string, string>): string[] {
  const said: string[] = [];
  const logger = { event: (level: string, msg: string) => said.push(`${level} ${msg}`) } as unknown as JsonLogger;
  warnWhenDiscoveryHasNoOrigin(loadConfig(env), logger);
  return said;
}

describe(warnWhenDiscoveryHasNoOrigin.name, () => {
  it('should warn in enforced mode when neither a public URL nor allowed hosts name the origin', () => {
    expect(warningsFor({ WHARF_AUTH_MODE: 'enforced' })).toEqual([
      'warn discovery documents and the OCI token realm carry relative URLs',
    ]);
  });

  it('should say nothing when the origin is configured, or in open mode', () => {
    expect(warningsFor({ WHARF_AUTH_MODE: 'enforced', WHARF_PUBLIC_URL: 'https://registry.example' })).toEqual([]);
    expect(warningsFor({ WHARF_AUTH_MODE: 'enforced', WHARF_ALLOWED_HOSTS: 'registry.example' })).toEqual([]);
    expect(warningsFor({ WHARF_AUTH_MODE: 'open' })).toEqual([]);
  });
});
