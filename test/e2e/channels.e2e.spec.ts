/**
 * Channel semantics (appr-api.md §1.3, §3): a channel is a set of releases plus a `current`
 * pointer. Adding a release creates the channel if needed and makes that release current;
 * removing one moves `current` to the highest remaining release, and the channel disappears
 * with its last release. Deleting a release of the package removes it from every channel.
 *
 * Each case pushes its own package, so the cases do not depend on their order.
 */
import { cnr, expectError, root } from '../support/http-client';
import { archiveFor, packagePath, pushOk, uniqueNamespace } from './support/appr.fixtures';
import type { ChannelView, Manifest } from './support/appr.types';

jest.setTimeout(30_000);

interface ChannelPackage {
  ns: string;
  pkg: string;
  path(...segments: string[]): string;
  add(channel: string, release: string): Promise<ChannelView>;
  show(channel: string): Promise<ChannelView>;
  list(): Promise<ChannelView[]>;
}

/** kpm 1.0.0, 1.1.0, 2.0.0 and helm 2.0.0 (so release 2.0.0 has two media types), no channels. */
async function channelPackage(): Promise<ChannelPackage> {
  const ns = uniqueNamespace();
  const name = 'chan-app';
  for (const [release, mediaType] of [
    ['1.0.0', 'kpm'],
    ['1.1.0', 'kpm'],
    ['2.0.0', 'kpm'],
    ['2.0.0', 'helm'],
  ]) {
    await pushOk(ns, name, { release, mediaType, archive: archiveFor(name, release, mediaType) });
  }
  const path = (...segments: string[]): string => packagePath(ns, name, ...segments);
  return {
    ns,
    pkg: `${ns}/${name}`,
    path,
    async add(channel, release) {
      const res = await cnr.post(path('channels', channel, release));
      expect({ status: res.status, body: res.text() }).toEqual({ status: 200, body: expect.any(String) });
      return res.json<ChannelView>();
    },
    async show(channel) {
      const res = await cnr.get(path('channels', channel));
      expect({ status: res.status, body: res.text() }).toEqual({ status: 200, body: expect.any(String) });
      return res.json<ChannelView>();
    },
    async list() {
      const res = await cnr.get(path('channels'));
      expect({ status: res.status, body: res.text() }).toEqual({ status: 200, body: expect.any(String) });
      return res.json<ChannelView[]>().sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}

async function currentChannelsOf(p: ChannelPackage, release: string, mediaType: string): Promise<string[]> {
  const res = await cnr.get(p.path(release, mediaType));
  expect(res.status).toBe(200);
  return [...(res.json<Manifest>().channels ?? [])].sort();
}

describe('listing', () => {
  it('is [] for a package without channels', async () => {
    const p = await channelPackage();
    expect(await p.list()).toEqual([]);
  });

  it('404s for a package that does not exist', async () => {
    expectError(await cnr.get(packagePath(uniqueNamespace(), 'nothing', 'channels')), 404, 'package-not-found');
    expectError(
      await cnr.get(packagePath(uniqueNamespace(), 'nothing', 'channels', 'stable')),
      404,
      'package-not-found',
    );
  });

  it('lists every channel with its current release and releases', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    await p.add('beta', '2.0.0');
    expect(await p.list()).toEqual([
      { name: 'beta', current: '2.0.0', releases: ['2.0.0'] },
      { name: 'stable', current: '1.0.0', releases: ['1.0.0'] },
    ]);
  });
});

describe('adding a release', () => {
  it('creates the channel implicitly and returns it', async () => {
    const p = await channelPackage();
    expectError(await cnr.get(p.path('channels', 'stable')), 404, 'channel-not-found');
    expect(await p.add('stable', '1.0.0')).toEqual({ name: 'stable', current: '1.0.0', releases: ['1.0.0'] });
    expect(await p.show('stable')).toEqual({ name: 'stable', current: '1.0.0', releases: ['1.0.0'] });
  });

  it('makes the added release current, even when it is not the highest; releases stay semver-descending', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    expect(await p.add('stable', '2.0.0')).toEqual({ name: 'stable', current: '2.0.0', releases: ['2.0.0', '1.0.0'] });
    expect(await p.add('stable', '1.1.0')).toEqual({
      name: 'stable',
      current: '1.1.0',
      releases: ['2.0.0', '1.1.0', '1.0.0'],
    });
    expect(await p.show('stable')).toEqual({ name: 'stable', current: '1.1.0', releases: ['2.0.0', '1.1.0', '1.0.0'] });
  });

  it('re-adding a member does not duplicate it and makes it current again', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    await p.add('stable', '2.0.0');
    expect(await p.add('stable', '1.0.0')).toEqual({ name: 'stable', current: '1.0.0', releases: ['2.0.0', '1.0.0'] });
  });

  it('404s a release the package does not have, creating nothing', async () => {
    const p = await channelPackage();
    expectError(await cnr.post(p.path('channels', 'stable', '3.0.0')), 404, 'package-release-not-found');
    expectError(await cnr.get(p.path('channels', 'stable')), 404, 'channel-not-found');
    expect(await p.list()).toEqual([]);
  });

  it('404s on a package that does not exist', async () => {
    expectError(
      await cnr.post(packagePath(uniqueNamespace(), 'nothing', 'channels', 'stable', '1.0.0')),
      404,
      'package-not-found',
    );
  });

  it("accepts names by Quay's tag rule: either case, a leading underscore, up to 128 characters", async () => {
    const p = await channelPackage();
    for (const channel of ['Stable', '_candidate', 'v1.2-rc_1', 'c'.repeat(128)]) {
      expect(await p.add(channel, '1.0.0')).toEqual({ name: channel, current: '1.0.0', releases: ['1.0.0'] });
    }
    expect((await p.list()).map((c) => c.name).sort()).toEqual(
      ['Stable', '_candidate', 'c'.repeat(128), 'v1.2-rc_1'].sort(),
    );
  });

  it('works at the bare root too', async () => {
    const p = await channelPackage();
    const res = await root.post(p.path('channels', 'edge', '2.0.0'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ name: 'edge', current: '2.0.0', releases: ['2.0.0'] });
    expect(await p.show('edge')).toEqual({ name: 'edge', current: '2.0.0', releases: ['2.0.0'] });
  });
});

describe('manifest "channels"', () => {
  it('lists the channels whose current release is this one, for every media type of the release', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    await p.add('stable', '2.0.0');
    await p.add('beta', '2.0.0');
    await p.add('dev', '1.1.0');
    await p.add('dev', '1.0.0');

    expect(await currentChannelsOf(p, '2.0.0', 'kpm')).toEqual(['beta', 'stable']);
    expect(await currentChannelsOf(p, '2.0.0', 'helm')).toEqual(['beta', 'stable']);
    expect(await currentChannelsOf(p, '1.0.0', 'kpm')).toEqual(['dev']);
    // 1.1.0 is a member of dev, but not its current release.
    expect(await currentChannelsOf(p, '1.1.0', 'kpm')).toEqual([]);
  });
});

describe('removing a release from a channel', () => {
  it('answers the deletion and moves current to the highest remaining release', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    await p.add('stable', '2.0.0');
    await p.add('stable', '1.1.0');
    const res = await cnr.delete(p.path('channels', 'stable', '1.1.0'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'deleted', package: p.pkg, name: 'stable', release: '1.1.0' });
    expect(await p.show('stable')).toEqual({ name: 'stable', current: '2.0.0', releases: ['2.0.0', '1.0.0'] });
    expect(await currentChannelsOf(p, '2.0.0', 'kpm')).toEqual(['stable']);
    expect(await currentChannelsOf(p, '1.1.0', 'kpm')).toEqual([]);
  });

  it('deletes the channel with its last release', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    await p.add('beta', '2.0.0');
    expect((await cnr.delete(p.path('channels', 'stable', '1.0.0'))).status).toBe(200);
    expectError(await cnr.get(p.path('channels', 'stable')), 404, 'channel-not-found');
    expect(await p.list()).toEqual([{ name: 'beta', current: '2.0.0', releases: ['2.0.0'] }]);
    expect(await currentChannelsOf(p, '1.0.0', 'kpm')).toEqual([]);
  });

  it('404s an unknown channel', async () => {
    const p = await channelPackage();
    expectError(await cnr.delete(p.path('channels', 'nope', '1.0.0')), 404, 'channel-not-found');
  });

  it('404s a release the package does not have, leaving the channel as it was', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    expectError(await cnr.delete(p.path('channels', 'stable', '9.9.9')), 404, [
      'package-release-not-found',
      'package-not-found',
    ]);
    expect(await p.show('stable')).toEqual({ name: 'stable', current: '1.0.0', releases: ['1.0.0'] });
  });
});

describe('deleting a channel', () => {
  it('answers the deletion and forgets the channel everywhere', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    await p.add('stable', '2.0.0');
    await p.add('beta', '2.0.0');
    const res = await cnr.delete(p.path('channels', 'stable'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ channel: 'stable', package: p.pkg, action: 'delete' });
    expectError(await cnr.get(p.path('channels', 'stable')), 404, 'channel-not-found');
    expect(await p.list()).toEqual([{ name: 'beta', current: '2.0.0', releases: ['2.0.0'] }]);
    expect(await currentChannelsOf(p, '2.0.0', 'kpm')).toEqual(['beta']);
  });

  it('404s an unknown channel, and a second delete', async () => {
    const p = await channelPackage();
    expectError(await cnr.delete(p.path('channels', 'nope')), 404, 'channel-not-found');
    await p.add('stable', '1.0.0');
    expect((await cnr.delete(p.path('channels', 'stable'))).status).toBe(200);
    expectError(await cnr.delete(p.path('channels', 'stable')), 404, 'channel-not-found');
  });

  it('can be recreated afresh afterwards', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    await p.add('stable', '2.0.0');
    await cnr.delete(p.path('channels', 'stable'));
    expect(await p.add('stable', '1.1.0')).toEqual({ name: 'stable', current: '1.1.0', releases: ['1.1.0'] });
  });
});

describe('deleting a release of the package', () => {
  it('removes it from every channel; current falls back to the highest remaining release', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    await p.add('stable', '1.1.0');
    await p.add('beta', '1.0.0');
    await p.add('beta', '1.1.0');
    await p.add('beta', '1.0.0');

    const res = await cnr.delete(p.path('1.1.0', 'kpm'));
    expect(res.json()).toEqual({ status: 'deleted', package: p.pkg, release: '1.1.0' });
    expect(await p.show('stable')).toEqual({ name: 'stable', current: '1.0.0', releases: ['1.0.0'] });
    // beta's current was not the deleted release; it keeps it.
    expect(await p.show('beta')).toEqual({ name: 'beta', current: '1.0.0', releases: ['1.0.0'] });
    expect(await currentChannelsOf(p, '1.0.0', 'kpm')).toEqual(['beta', 'stable']);
  });

  it('drops a channel whose only release it was', async () => {
    const p = await channelPackage();
    await p.add('dev', '1.1.0');
    await p.add('stable', '1.0.0');
    expect((await cnr.delete(p.path('1.1.0', 'kpm'))).status).toBe(200);
    expectError(await cnr.get(p.path('channels', 'dev')), 404, 'channel-not-found');
    expect(await p.list()).toEqual([{ name: 'stable', current: '1.0.0', releases: ['1.0.0'] }]);
  });

  it('keeps the release in its channels while another media type of it remains', async () => {
    const p = await channelPackage();
    await p.add('stable', '1.0.0');
    await p.add('stable', '2.0.0');
    expect((await cnr.delete(p.path('2.0.0', 'helm'))).status).toBe(200);
    expect(await p.show('stable')).toEqual({ name: 'stable', current: '2.0.0', releases: ['2.0.0', '1.0.0'] });
    expect(await currentChannelsOf(p, '2.0.0', 'kpm')).toEqual(['stable']);
  });
});
