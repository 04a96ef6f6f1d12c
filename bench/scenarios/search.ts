import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, pool, SEARCH_NS, SEARCH_WORDS, searchPackage, seedOne } from '../lib/charts';
import { Running, TargetName } from '../lib/targets';
import { growthChart, growthRelease } from '../lib/growth-layout';
import { env, log, measure, rnd, selected, stoppingOnExit } from '../lib/harness';
import { Report } from '../lib/report';
import { directSeedHow, seedDirectThenStart, seedsDirect } from './growth';

/**
 * Search over a registry of BENCH_SEARCH_PACKAGES packages (10,000) holding BENCH_SEARCH_RELEASES
 * releases (100,000), pushed through HTTP in rounds (every package gets its first release, then its
 * second, ...), BENCH_SEARCH_SEED_CONCURRENCY (16) at a time, within BENCH_SEARCH_SEED_BUDGET_S
 * (1800 s) per target. Then, once probe packages are searchable (the projections are
 * asynchronous), `GET /cnr/api/v1/packages/search?q=<word>` with a random word of the generated
 * names/descriptions/keywords (each word is carried by about 2 × packages / 98 packages), and a
 * word that matches nothing.
 */
export async function scenarioSearch(report: Report): Promise<void> {
  const packages = env('BENCH_SEARCH_PACKAGES', 10_000);
  const releases = Math.max(packages, env('BENCH_SEARCH_RELEASES', 100_000));
  const conc = env('BENCH_SEARCH_SEED_CONCURRENCY', 16);
  const budgetS = env('BENCH_SEARCH_SEED_BUDGET_S', 1800);
  report.settings.searchPackages = packages;
  report.settings.searchReleases = releases;
  report.settings.searchSeedConcurrency = conc;
  const searchPath = (q: string) => `${API}/search?q=${encodeURIComponent(q)}`;
  const found = async (t: Running, q: string): Promise<string[]> => {
    const res = await fetch(`${t.url}${searchPath(q)}`);
    if (!res.ok) throw new Error(`${t.name}: search ${q}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as string[];
  };
  const seedMode = process.env.BENCH_SEARCH_SEED ?? 'direct';
  if (seedMode !== 'direct' && seedMode !== 'http')
    throw new Error(`BENCH_SEARCH_SEED=${seedMode}: expected direct or http`);
  const directConc = env('BENCH_GROWTH_SEED_CONCURRENCY', 64);
  const reached = new Map<TargetName, number>();
  const dataDirs: string[] = [];
  await stoppingOnExit(async (running) => {
    for (const def of selected(true)) {
      const started = Date.now();
      const deadline = started + budgetS * 1000;
      let seeded = 0;
      let failed = 0;
      let t: Running;
      if (seedMode === 'direct' && seedsDirect(def)) {
        // the target's own push code writes its store while the server is down (as growth's direct seeding)
        report.notes.push(`search ${def.name}: seeded ${directSeedHow(def.name, directConc)}`);
        const dataDir = mkdtempSync(join(tmpdir(), `wharf-bench-search-${def.name}-`));
        dataDirs.push(dataDir);
        let listening: number, caughtUp: number;
        ({ t, seeded, listening, caughtUp } = await seedDirectThenStart(
          report,
          def,
          dataDir,
          'search',
          packages,
          0,
          releases,
          directConc,
          deadline,
          0,
          1_800_000,
        ));
        running.push(t);
        report.notes.push(
          `search ${def.name}: server listening ${listening.toFixed(1)} s after start` +
            (def.name === 'wharf' ? `, every projection caught up ${caughtUp.toFixed(1)} s later` : ''),
        );
      } else {
        t = await def.start();
        running.push(t);
        report.notes.push(
          `search ${def.name}: seeded through HTTP against the running server, concurrency ${conc}, in rounds`,
        );
        for (let from = 0; from < releases && Date.now() < deadline; from += packages) {
          const to = Math.min(releases, from + packages);
          const res = await pool(
            from,
            to,
            conc,
            (i) => {
              const r = growthRelease('search', packages, i);
              return seedOne(t, r.ns, r.name, r.release, growthChart('search', packages, i));
            },
            deadline,
          );
          seeded += res.done;
          failed += res.failed;
          const s = (Date.now() - started) / 1000;
          report.seeding.push({
            target: t.name,
            from,
            to: from + res.done + res.failed,
            seconds: s,
            rate: seeded / s,
            failed: res.failed,
          });
          log(
            `search ${t.name}: ${seeded} releases seeded in ${s.toFixed(0)} s (${(seeded / s).toFixed(1)}/s)${res.failed ? `, ${res.failed} failed (last: ${res.lastError})` : ''}`,
          );
          if (res.done + res.failed < to - from) break;
        }
      }
      log(`started ${t.name} at ${t.url} (pid ${t.pid}), ${seeded} releases`);
      const seedS = (Date.now() - started) / 1000; // direct seeding: the server's start and catch-up included
      reached.set(t.name, seeded);
      if (seeded + failed < releases) {
        report.growthStops.push({
          target: t.name,
          reached: seeded,
          wanted: releases,
          reason: `search seeding budget of ${budgetS} s spent`,
        });
        report.notes.push(
          `search ${t.name}: seeding stopped at ${seeded} of ${releases} releases (budget ${budgetS} s)`,
        );
      }
      // the projections are asynchronous: wait until probe packages are searchable (a sanity check that
      // the index is populated before measuring; they were pushed in the first round, so this is no lag figure)
      const lagStart = Date.now();
      const probes = [packages - 1, packages - 2, Math.floor(packages / 2)].filter(
        (i) => i >= 0 && i < Math.min(packages, seeded),
      );
      let lagS = NaN;
      while (Date.now() - lagStart < 300_000) {
        const ok = await Promise.all(
          probes.map(async (i) =>
            (await found(t, searchPackage(i).name)).includes(`${SEARCH_NS}/${searchPackage(i).name}`),
          ),
        );
        if (ok.every(Boolean)) {
          lagS = (Date.now() - lagStart) / 1000;
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      const hits = await found(t, SEARCH_WORDS[0]!);
      report.notes.push(
        `search ${t.name}: seeded ${seeded} releases of ${Math.min(packages, seeded)} packages in ${seedS.toFixed(0)} s (${(seeded / seedS).toFixed(1)} pushes/s)` +
          `${failed ? `, ${failed} failed` : ''}; probe packages (pushed in the first round) searchable ${Number.isNaN(lagS) ? 'NOT within 300 s' : `${lagS.toFixed(1)} s`} after seeding (not a push-to-searchable lag: see the lag scenario); q=${SEARCH_WORDS[0]} finds ${hits.length}`,
      );
      log(`search ${t.name}: probes searchable after ${lagS.toFixed(1)} s; q=${SEARCH_WORDS[0]} finds ${hits.length}`);
    }
    const per = Math.round((2 * packages) / SEARCH_WORDS.length);
    for (const t of running)
      await measure(report, t, 'search', `search, one word (~${per} hits of ${packages} packages)`, {
        next: () => ({ path: searchPath(SEARCH_WORDS[rnd(SEARCH_WORDS.length)]!) }),
      });
    for (const t of running)
      await measure(report, t, 'search', 'search, no match', { next: () => ({ path: searchPath(`zz${rnd(1e6)}`) }) });
    for (const t of running) {
      const r = reached.get(t.name);
      if (r !== undefined && r < releases)
        report.notes.push(`search ${t.name}: measured at ${r} releases, not ${releases}`);
    }
  }).finally(() => {
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });
}
