import { WharfActions } from './program';
import { progressBar, progressSink } from './progress';
import { runWharf } from './wharf';

/** Actions that record what they were handed and do nothing else. */
function recording(): { actions: WharfActions; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const actions = new Proxy({} as WharfActions, {
    get:
      (_target, name) =>
      async (...args: unknown[]) => {
        calls.push([name, ...args]);
        return 0;
      },
  });
  return { actions, calls };
}

async function wharf(...args: string[]): Promise<{ code: number; stderr: string; calls: unknown[][] }> {
  const { actions, calls } = recording();
  let stderr = '';
  const spies = [process.stderr, process.stdout].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      if (stream === process.stderr) stderr += String(chunk);
      return true;
    }),
  );
  try {
    const code = await runWharf(['node', 'wharf', ...args], actions);
    return { code, stderr, calls };
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}

describe('wharf command line', () => {
  it.each([
    [['users', 'create', 'Alice'], "invalid namespace name 'Alice'"],
    [['users', 'create'], "missing required argument 'user'"],
    [['users', 'create', 'alice', 'hunter2'], 'too many arguments'],
    [['users', 'create', 'alice', '--password', 'hunter2'], "unknown option '--password'"],
    [['orgs', 'create', 'acme'], "required option '--owner <user>' not specified"],
    [['tokens', 'revoke', 'acme+Robot', '0123456789abcdef'], 'invalid robot name'],
    [['tokens', 'revoke', 'alice', 'not-hex'], 'a token id is hexadecimal'],
    [['limits', 'set', 'acme', '--max-blob-bytes', '0'], "a positive integer, or 'none'"],
    [['limits', 'set', 'acme', '--allow-overwrites', 'yes'], "'true', 'false' or 'none'"],
    [['limits', 'set', 'acme'], 'give at least one limit'],
    [['replay', 'everything'], 'one of metadata, search, blob-refs, charts, all'],
    [['export'], "required option '--out <dir>' not specified"],
    [['gc', '--now'], "unknown option '--now'"],
    [['fsck'], "unknown command 'fsck'"],
    [['import', '--from-helm-repo', 'http://repo'], '--from-helm-repo needs one --namespace'],
    [['import', '--from-helm-repo', 'http://r', '--charts', '/c', '--namespace', 'a'], 'give one of'],
    [['import', '--from-helm-repo', 'http://repo', '--namespace', 'Not_A_Namespace'], 'invalid namespace name'],
    [['import', '--from-chartmuseum', '/cm'], '--from-chartmuseum (without --depth 1) needs one --namespace'],
    [['import', '--from-chartmuseum', '/cm', '--depth', '2'], "'0' or '1'"],
    [['import', '--charts', '/c', '--namespace', 'a', '--depth', '1'], '--depth goes with --from-chartmuseum'],
    [['import', '--from-cnr', '/cnr', '--from-export', '/e'], 'give one of'],
    [['import', '--from-helm-repo', 'http://r', '--namespace', 'a', '--every', '0'], 'a positive whole number'],
    [['import', '--charts', '/c', '--namespace', 'a', '--every', '60'], '--every goes with --from-helm-repo'],
    [['import', '--charts', '/c', '--namespace', 'a', '--provenance'], '--provenance goes with --from-helm-repo'],
    [['import', '--from-chartmuseum', '/cm', '--namespace', 'a', '--s3-endpoint', 'http://s3'], '--s3-endpoint and'],
    [['import', '--from-chartmuseum', 's3://Bad_Bucket', '--namespace', 'a'], 'give s3://<bucket>[/<prefix>]'],
    [['retention', 'show', 'Acme'], "invalid namespace name 'Acme'"],
    [['retention', 'set', 'acme', 'Keep_One', '--keep-last', '1'], 'a retention policy id is'],
    [['retention', 'set', 'acme', 'site-default', '--keep-last', '1'], "'site-default' names the site's default"],
    [['retention', 'set', 'acme', 'p'], "needs 'keep_last', 'keep_pushed_within_days' or 'keep_pulled_within_days'"],
    [['retention', 'set', 'acme', 'p', '--keep-last', 'ten'], 'a whole number'],
    [['retention', 'set', 'acme', 'p', '--keep-pulled-within-days', '0'], "'keep_pulled_within_days' must be"],
    [['retention', 'set', 'acme', 'p', '--keep-last', '1', '--prereleases', 'sometimes'], "'prereleases' must be"],
    [['retention', 'set', 'acme', 'p', '--keep-last', '1', '--package', 'a/b'], "'package' must be"],
    [['retention', 'run'], "missing required argument 'namespace'"],
    [['retention', 'default', 'set'], "needs 'keep_last', 'keep_pushed_within_days' or 'keep_pulled_within_days'"],
    [['retention', 'default', 'set', '--keep-last', '1', '--colour', 'red'], "unknown option '--colour'"],
    [['import', '--from-cnr', '/c', '--username', 'mirror'], '--username goes with --from-helm-repo'],
    [['import', '--from-cnr', '/c', '--allow-host', 'cdn.example.com'], '--allow-host goes with --from-helm-repo'],
    [['import', '--from-helm-repo', 'http://r', '--namespace', 'a', '--allow-host', 'https://cdn'], 'a host name'],
    [['import', '--from-helm-repo', 'http://r', '--namespace', 'a', '--allow-host', 'cdn/x'], 'a host name'],
  ])('should refuse %j with status 2 and a clear error, running nothing', async (args, message) => {
    const run = await wharf(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.calls).toEqual([]);
  });

  it('should hand each command its typed input', async () => {
    const runs = [
      await wharf('users', 'create', 'alice', '--admin'),
      await wharf('orgs', 'list'),
      await wharf('users', 'make-admin', 'alice', '--revoke'),
      await wharf('users', 'disable', 'alice'),
      await wharf('orgs', 'create', 'acme', '--owner', 'alice'),
      await wharf('tokens', 'revoke', 'acme+ci_bot', '0123456789abcdef'),
      await wharf('limits', 'set', 'acme', '--max-storage-bytes', '5000', '--requests-per-minute', 'none'),
      await wharf('import', '--from-export', '/x', '--namespace', 'a', '--namespace', 'b'),
      await wharf('import', '--from-helm-repo', 'http://repo', '--namespace', 'a', '--provenance', '--every', '300'),
      await wharf('import', '--from-chartmuseum', '/cm', '--depth', '1'),
      await wharf('import', '--from-chartmuseum', 's3://bkt/cm', '--depth', '1', '--s3-endpoint', 'http://s3:9000'),
      await wharf(
        'import',
        '--from-helm-repo',
        'http://r',
        '--namespace',
        'a',
        '--allow-host',
        'CDN.example.com:8443',
        '--allow-host',
        '[::1]',
      ),
      await wharf('import', '--from-cnr', '/cnr', '--namespace', 'a'),
      await wharf('retention', 'set', 'acme', 'keep-10', '--keep-last', '10', '--keep-pulled-within-days', '90'),
      await wharf('retention', 'preview', 'acme'),
      await wharf('retention', 'run', 'acme'),
      await wharf('retention', 'default'),
      await wharf('retention', 'default', 'show'),
      await wharf('retention', 'default', 'set', '--keep-last', '3', '--prereleases', 'drop'),
      await wharf('retention', 'default', 'delete'),
      await wharf('gc', '--dry-run'),
      await wharf('verify'),
      await wharf('replay', 'all'),
    ];
    expect(runs.map((r) => r.code)).toEqual(runs.map(() => 0));
    expect(runs.flatMap((r) => r.calls)).toEqual([
      ['usersCreate', 'alice', { admin: true }],
      ['accountsList', 'organization'],
      ['usersMakeAdmin', 'alice', { revoke: true }],
      ['usersDisable', 'alice', { enable: false }],
      ['orgsCreate', 'acme', { owner: 'alice' }],
      ['tokensRevoke', 'acme+ci_bot', '0123456789abcdef'],
      ['limitsSet', 'acme', { maxStorageBytes: 5000, requestsPerMinute: null }],
      ['import', { fromExport: '/x', namespace: ['a', 'b'] }],
      ['import', { fromHelmRepo: 'http://repo', namespace: ['a'], provenance: true, every: 300 }],
      ['import', { fromChartmuseum: '/cm', depth: 1, namespace: [] }],
      ['import', { fromChartmuseum: 's3://bkt/cm', depth: 1, s3Endpoint: 'http://s3:9000', namespace: [] }],
      ['import', { fromHelmRepo: 'http://r', namespace: ['a'], allowHost: ['cdn.example.com:8443', '[::1]'] }],
      ['import', { fromCnr: '/cnr', namespace: ['a'] }],
      [
        'retentionSet',
        'acme',
        'keep-10',
        {
          packagePattern: null,
          keepLast: 10,
          keepPushedWithinDays: null,
          keepPulledWithinDays: 90,
          keepChannelReleases: 'current',
          prereleases: 'count',
        },
      ],
      ['retentionPreview', 'acme'],
      ['retentionRun', 'acme'],
      ['retentionDefaultShow'],
      ['retentionDefaultShow'],
      [
        'retentionDefaultSet',
        {
          packagePattern: null,
          keepLast: 3,
          keepPushedWithinDays: null,
          keepChannelReleases: 'current',
          prereleases: 'drop',
        },
      ],
      ['retentionDefaultDelete'],
      ['gc', { dryRun: true }],
      ['verify', { skipBlobs: false }],
      ['replay', 'all'],
    ]);
  });

  it('should answer --help on every command with status 0, running nothing', async () => {
    for (const args of [
      [],
      ['users'],
      ['users', 'create'],
      ['limits', 'set'],
      ['tokens', 'revoke'],
      ['verify'],
      ['retention', 'set'],
    ]) {
      const { actions, calls } = recording();
      let help = '';
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        help += String(chunk);
        return true;
      });
      try {
        expect(await runWharf(['node', 'wharf', ...args, '--help'], actions)).toBe(0);
      } finally {
        spy.mockRestore();
      }
      expect(help).toContain(`Usage: wharf ${args.join(' ')}`.trim());
      expect(calls).toEqual([]);
    }
  });
});

describe('progress', () => {
  it('should redraw one line with a bar on a terminal, and write JSON lines otherwise', () => {
    let tty = '';
    let clock = 0;
    const onTerminal = progressSink({ isTTY: true, write: (t: string) => (tty += t) }, () => clock);
    onTerminal.update({ done: 1 }, 'one', 0.5);
    clock += 10;
    onTerminal.update({ done: 2 }, 'two', 0.75); // held back: under 100 ms since the last
    onTerminal.end();
    expect(tty).toBe(`\r\x1b[K${progressBar(0.5)} one\r\x1b[K${progressBar(0.75)} two\n`);
    expect(progressBar(0.5)).toBe(`[${'#'.repeat(12)}${'-'.repeat(12)}] 50%`);

    let piped = '';
    const toPipe = progressSink({ write: (t: string) => (piped += t) });
    toPipe.update({ done: 1 }, 'one', 0.5);
    toPipe.note({ problem: 'p' }, 'problem: p');
    toPipe.end();
    expect(
      piped
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ progress: { done: 1 } }, { problem: 'p' }]);
  });
});
