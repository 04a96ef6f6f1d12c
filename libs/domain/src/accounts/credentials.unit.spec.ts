import { formatToken, isAccountNameSyntax, parseAuthorization, parseToken, splitRobotAccount } from './credentials';

const token = { account: 'acme+ci', id: '0123456789abcdef', secret: 'A'.repeat(43) };
const text = formatToken(token);
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credentials', () => {
  it('should round-trip a token, robots included', () => {
    expect(parseToken(text)).toEqual(token);
    expect(splitRobotAccount('acme+ci')).toEqual({ org: 'acme', robot: 'ci' });
    expect(splitRobotAccount('alice')).toBeNull();
  });

  it.each([
    ['the token verbatim, as the appr client sends it', text, { kind: 'token', token, claimedAccount: null }],
    ['Bearer', `Bearer ${text}`, { kind: 'token', token, claimedAccount: null }],
    ['bearer in any case', `bEaReR ${text}`, { kind: 'token', token, claimedAccount: null }],
    [
      'Basic with a password',
      `Basic ${b64('alice:pa:ss word')}`,
      { kind: 'password', account: 'alice', password: 'pa:ss word' },
    ],
    [
      'basic (Quay) with a robot token',
      `basic ${b64(`acme+ci:${text}`)}`,
      { kind: 'token', token, claimedAccount: 'acme+ci' },
    ],
    ['no header', undefined, { kind: 'none' }],
    ['an empty header', '   ', { kind: 'none' }],
  ])('should read %s', (_name, header, expected) => {
    expect(parseAuthorization(header)).toEqual(expected);
  });

  it.each([
    ['a bearer that is not a Wharf token', 'Bearer abc'],
    ['an unknown scheme', 'Digest username="x"'],
    ['Basic that is not base64', 'Basic ***'],
    ['Basic without a colon', `Basic ${b64('alice')}`],
    ['Basic with an empty secret', `Basic ${b64('alice:')}`],
    ['a token with a non-canonical account part', text.replace(/^wharf\.[^.]+/, 'wharf.YWNtZStjaQ=')],
    ['a token with a short secret', `wharf.YWxpY2U.0123456789abcdef.${'A'.repeat(10)}`],
  ])('should call %s malformed', (_name, header) => {
    expect(parseAuthorization(header).kind).toBe('malformed');
  });
});

describe('registry tokens in an Authorization header', () => {
  it('should read the shape of a registry token as Bearer or bare, and nothing close to it', () => {
    const text = `wharf-oci.${Buffer.from('{"sub":"alice"}').toString('base64url')}.${'s'.repeat(43)}`;
    expect(parseAuthorization(`Bearer ${text}`)).toEqual({ kind: 'registry-token', text });
    expect(parseAuthorization(text)).toEqual({ kind: 'registry-token', text });
    expect(parseAuthorization(`Bearer ${text}x`).kind).toBe('malformed');
    expect(parseAuthorization(`Bearer wharf-oci..${'s'.repeat(43)}`).kind).toBe('malformed');
  });
});

describe(isAccountNameSyntax.name, () => {
  it('should accept user, organisation and robot names that sign-up and robot creation accept', () => {
    for (const name of ['alice', 'a', 'acme.io', 'my-org_2', 'acme+ci', 'acme+deploy_2', 'x'.repeat(255)])
      expect([name, isAccountNameSyntax(name)]).toEqual([name, true]);
  });

  it('should refuse names no account can have: too long, uppercase, non-ASCII, separators, bad robots', () => {
    const bad = [
      '',
      'x'.repeat(256),
      'x'.repeat(15_000),
      'Alice',
      'аlice',
      'a/b',
      'a..b',
      'a.',
      '-a',
      'a b',
      'a\0b',
      '+ci',
      'acme+',
      'acme+CI',
      'acme+ci-2',
      'acme+a+b',
      `acme+${'r'.repeat(65)}`,
    ];
    for (const name of bad) expect([name, isAccountNameSyntax(name)]).toEqual([name, false]);
  });
});
