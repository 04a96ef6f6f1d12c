/**
 * No lost, no doubled: concurrent pushes of one release have exactly one winner; concurrent
 * pushes of different releases of one package all land; every acknowledged push is readable by
 * the very next request.
 */
import { apprDigest, archiveFor, listNamespace, packagePath, push, uniqueNamespace } from './support/appr.fixtures';
import { cnr } from '../support/http-client';
import type { Manifest } from './support/appr.types';

const CONTENDERS = 20;

describe('concurrent pushes', () => {
  it(`should give exactly one 200 among ${CONTENDERS} pushes of the same release, the rest 409, and keep the winner's bytes`, async () => {
    const ns = uniqueNamespace('e2e-race');
    const archives = Array.from({ length: CONTENDERS }, (_, i) => archiveFor('race', '1.0.0', `contender ${i}`));
    const results = await Promise.all(
      archives.map((archive) => push(ns, 'race', { release: '1.0.0', mediaType: 'helm', archive })),
    );

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(CONTENDERS - 1);
    for (const loser of results.filter((r) => r.status === 409))
      expect(loser.json<{ code: string }>().code).toBe('package-exists');

    const winner = archives[statuses.indexOf(200)];
    const manifest = (await cnr.get(packagePath(ns, 'race', '1.0.0', 'helm'))).json<Manifest>();
    expect(manifest.content.digest).toBe(apprDigest(winner));
    const pulled = await cnr.get(packagePath(ns, 'race', '1.0.0', 'helm', 'pull'));
    expect(pulled.bytes.equals(winner)).toBe(true);
  });

  it(`should land all of ${CONTENDERS} concurrent pushes of different releases of one package`, async () => {
    const ns = uniqueNamespace('e2e-many');
    const releases = Array.from({ length: CONTENDERS }, (_, i) => `1.${i}.0`);
    const results = await Promise.all(
      releases.map((release) => push(ns, 'many', { release, mediaType: 'helm', archive: archiveFor('many', release) })),
    );

    expect(results.map((r) => r.status)).toEqual(releases.map(() => 200));
    const [entry] = await listNamespace(ns);
    expect([...entry.releases].sort()).toEqual([...releases].sort());
    for (const release of releases) {
      const manifest = (await cnr.get(packagePath(ns, 'many', release, 'helm'))).json<Manifest>();
      expect(manifest.content.digest).toBe(apprDigest(archiveFor('many', release)));
    }
  });
});
