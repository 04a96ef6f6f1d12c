/**
 * The README's "Push and pull with curl" block, run as written: the fenced block is parsed out of
 * README.md, so the test breaks when the README changes in a way that no longer works. The only
 * rewrites are the server (http://127.0.0.1:5000 -> WHARF_URL) and the namespace (myorg -> a
 * fresh one, so re-runs against one server do not collide). A `# {...}` line right after a
 * command is the output the README promises for it, and is checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/wharf-process';
import { baseUrl, contentDigest, freshNamespace, getJson, run, sha256, tempDir } from './support/clients';

interface Step {
  command: string;
  promised?: string;
}

/** The commands of the README's curl block, continuation lines joined, with promised outputs. */
export function readmeCurlSteps(readme: string): Step[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Push and pull with curl'));
  if (!section) throw new Error('README.md has no "## Push and pull with curl" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('the curl section of README.md has no ```sh block');
  const steps: Step[] = [];
  let pending = '';
  for (const line of block[1]!.split('\n')) {
    if (pending) {
      pending += '\n' + line;
      if (!line.endsWith('\\')) {
        steps.push({ command: pending });
        pending = '';
      }
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const promised = trimmed.slice(1).trim();
      if (promised.startsWith('{') || promised.startsWith('[')) steps[steps.length - 1]!.promised = promised;
      continue;
    }
    if (line.endsWith('\\')) pending = line;
    else steps.push({ command: line });
  }
  return steps;
}

it('runs the README curl flow and gets the pushed bytes back', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const steps = readmeCurlSteps(readme);
  const ns = freshNamespace('readme');
  const cwd = tempDir('readme');
  const outputs: string[] = [];
  for (const step of steps) {
    const command = step.command.replaceAll('http://127.0.0.1:5000', baseUrl()).replace(/\bmyorg\b/g, ns);
    let r = await run('bash', ['-euo', 'pipefail', '-c', command], { cwd });
    // Search is eventually consistent (the README says so): a user would ask again.
    for (
      let waited = 0;
      command.includes('search?q=') && !r.stdout.includes(`${ns}/`) && waited < 10_000;
      waited += 250
    ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      r = await run('bash', ['-euo', 'pipefail', '-c', command], { cwd });
    }
    if (r.code !== 0) throw new Error(`README step failed (${r.code}): ${command}\n${r.stdout}\n${r.stderr}`);
    if (step.promised !== undefined) expect(JSON.parse(r.stdout)).toEqual(JSON.parse(step.promised));
    outputs.push(r.stdout);
  }
  const at = (needle: string) => steps.findIndex((s) => s.command.includes(needle));
  // The steps this test relies on are still in the README.
  for (const needle of [
    'tar czf demo-1.0.0.tgz',
    '-X POST',
    '/1.0.0/helm',
    '/pull',
    'channels/stable/1.0.0',
    'packages?namespace=',
    'search?q=demo',
    '-X DELETE',
  ]) {
    expect(at(needle)).toBeGreaterThanOrEqual(0);
  }
  const tgz = readFileSync(join(cwd, 'demo-1.0.0.tgz'));
  const pulled = readFileSync(join(cwd, 'pulled.tgz'));
  expect(sha256(pulled)).toBe(sha256(tgz));
  const shown = JSON.parse(outputs[at('/1.0.0/helm')]!) as {
    package: string;
    content: { digest: string; size: number };
  };
  expect(shown.package).toBe(`${ns}/demo`);
  expect(shown.content.digest).toBe(contentDigest(tgz));
  expect(shown.content.size).toBe(tgz.length);
  expect(JSON.parse(outputs[at('channels/stable/1.0.0')]!)).toEqual({
    name: 'stable',
    current: '1.0.0',
    releases: ['1.0.0'],
  });
  expect(JSON.parse(outputs[at('packages?namespace=')]!)).toEqual([
    expect.objectContaining({ name: `${ns}/demo`, releases: ['1.0.0'] }),
  ]);
  expect(JSON.parse(outputs[at('search?q=demo')]!)).toContain(`${ns}/demo`);
  expect(JSON.parse(outputs[at('-X DELETE')]!)).toEqual(
    expect.objectContaining({ status: 'deleted', release: '1.0.0' }),
  );
  expect((await getJson(`/cnr/api/v1/packages/${ns}/demo/1.0.0/helm`)).status).toBe(404);
});
