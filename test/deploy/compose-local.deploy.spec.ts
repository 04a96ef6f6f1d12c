/**
 * docker-compose.local.yml (the stack on images made on this machine, deploy/container) and
 * docker-compose.yml (official images) describe the same stack: the same services, the same
 * ports published on 127.0.0.1, the same WHARF_* variables with the same values, once each file's
 * `${VAR:-default}` is taken at its default. The local file names only images built here.
 */
import { join } from 'node:path';
import { composeServices, isWharfService, wharfVariables, type ComposeService } from './support/compose';

const ROOT = join(__dirname, '..', '..');
const official = composeServices(join(ROOT, 'docker-compose.yml'));
const local = composeServices(join(ROOT, 'docker-compose.local.yml'));

const byService = <T>(services: Record<string, ComposeService>, f: (s: ComposeService) => T): Record<string, T> =>
  Object.fromEntries(Object.entries(services).map(([name, s]) => [name, f(s)]));

it("defines the same services, the same of them Wharf's own", () => {
  const wharf = (services: Record<string, ComposeService>): string[] =>
    Object.keys(services).filter((name) => isWharfService(services[name]!));
  expect(Object.keys(local).sort()).toEqual(Object.keys(official).sort());
  expect(wharf(local)).toEqual(wharf(official));
});

it('publishes the same ports, on 127.0.0.1 only', () => {
  const ports = (s: ComposeService): string[] => [...(s.ports ?? [])].sort();
  expect(byService(local, ports)).toEqual(byService(official, ports));
  for (const port of Object.values(local).flatMap(ports)) expect(port).toMatch(/^127\.0\.0\.1:/);
});

it('gives each Wharf service the same WHARF_* variables and values', () => {
  const vars = (services: Record<string, ComposeService>): Record<string, Record<string, string>> =>
    Object.fromEntries(
      Object.entries(services)
        .filter(([, s]) => isWharfService(s))
        .map(([name, s]) => [name, wharfVariables(s)]),
    );
  expect(vars(local)).toEqual(vars(official));
  expect(Object.keys(vars(local))).toHaveLength(5);
});

it('runs every Wharf service with the same command', () => {
  expect(byService(local, (s) => (isWharfService(s) ? s.command : null))).toEqual(
    byService(official, (s) => (isWharfService(s) ? s.command : null)),
  );
});

it('names only images built on this machine, never one to pull or build', () => {
  for (const [name, s] of Object.entries(local)) {
    expect({ name, build: s.build, image: s.image }).toEqual({
      name,
      build: undefined,
      image: expect.stringMatching(/^localhost\/wharf(-kafka|-opensearch|-ferretdb|-s3)?:latest$/),
    });
  }
});

it("keeps the black-box suites' enforced gateway (test/container/compose.enforced.yml) the local gateway but for its auth mode, sign-up, public URL and port", () => {
  const enforced = composeServices(join(ROOT, 'test/container/compose.enforced.yml'))['gateway-enforced']!;
  const gateway = local.gateway!;
  const own = ['WHARF_AUTH_MODE', 'WHARF_SIGNUP', 'WHARF_PUBLIC_URL'];
  const split = (s: ComposeService) => {
    const vars = Object.entries(wharfVariables(s));
    return {
      image: s.image,
      command: s.command,
      shared: Object.fromEntries(vars.filter(([key]) => !own.includes(key))),
      own: Object.fromEntries(vars.filter(([key]) => own.includes(key))),
    };
  };
  expect({ ...split(enforced), ports: enforced.ports }).toEqual({
    ...split(gateway),
    own: { WHARF_AUTH_MODE: 'enforced', WHARF_PUBLIC_URL: 'http://127.0.0.1:5001', WHARF_SIGNUP: 'true' },
    ports: ['127.0.0.1:5001:5000'],
  });
});
