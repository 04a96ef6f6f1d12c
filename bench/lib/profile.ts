/** Summarises a V8 .cpuprofile: self time by function and by where the code lives. */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  byFunction: { name: string; ms: number; pct: number }[];
  byArea: { area: string; ms: number; pct: number }[];
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : `native: ${fn || '(anonymous)'}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm: ${nm[1]}`;
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  const dist = /\/dist\/(.+?)(?:\.js)?$/.exec(url);
  if (dist) {
    const parts = dist[1]!.split('/');
    return `wharf: ${parts.slice(0, parts[0] === 'libs' && parts[1] === 'adapters' ? 3 : 2).join('/')}`;
  }
  return url.replace(/^file:\/\//, '');
}

function short(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/dist\//, '');
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const key = url
      ? `${functionName || '(anonymous)'} ${short(url)}:${lineNumber + 1}`
      : functionName || '(anonymous)';
    fns.set(key, (fns.get(key) ?? 0) + us);
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    total += us;
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ k, ms: us / 1000, pct: (100 * us) / (total || 1) }));
  return {
    file,
    totalMs: total / 1000,
    byFunction: rank(fns).map(({ k, ms, pct }) => ({ name: k, ms, pct })),
    byArea: rank(areas).map(({ k, ms, pct }) => ({ area: k, ms, pct })),
  };
}

export function profileMarkdown(s: ProfileSummary): string {
  const lines = [
    `Profile \`${s.file}\`: ${(s.totalMs / 1000).toFixed(1)} s sampled.`,
    '',
    '| self time by area | ms | % |',
    '|---|---:|---:|',
  ];
  for (const a of s.byArea) lines.push(`| ${a.area} | ${a.ms.toFixed(0)} | ${a.pct.toFixed(1)} |`);
  lines.push('', '| self time by function | ms | % |', '|---|---:|---:|');
  for (const f of s.byFunction)
    lines.push(`| \`${f.name.replace(/\|/g, '\\|')}\` | ${f.ms.toFixed(0)} | ${f.pct.toFixed(1)} |`);
  return lines.join('\n');
}
