/**
 * Where a process spent its CPU, from a V8 profile written by `npm run bench -- --scenario <s> --profile`
 * (the kept temp dir's profiles/worker/*.cpuprofile — one per thread: the workflows run in a worker thread —
 * and profiles/api/*.cpuprofile): self time by function and by package.
 * Run: npx tsx bench/tuning/profile-top.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: npx tsx bench/tuning/profile-top.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** `node_modules/<pkg>` or `node_modules/@scope/pkg`, the project's own file, or a V8/Node pseudo-frame. */
const packageOf = (url: string) => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.includes('/rollcall-bench/')) return `rollcall ${url.replace(/.*\/build-\d+\//, '')}`;
  return url.startsWith('node:') ? url : url ? 'other' : '(native / idle / gc)';
};

const sum = (keyOf: (node: ProfileNode) => string) => {
  const totals = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const key = keyOf(byId.get(id)!);
    totals.set(key, (totals.get(key) ?? 0) + us);
  }
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
};
const show = (rows: Array<[string, number]>) => rows.forEach(([key, us]) => console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(7)} s  ${key}`));

console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
console.log('\nby package / file (self time):');
show(sum((node) => packageOf(node.callFrame.url)));
console.log('\nby function (self time):');
show(sum(({ callFrame: f }) => `${f.functionName || '(anonymous)'}  ${f.url.replace(/.*node_modules\//, '').replace(/.*\/build-\d+\//, '')}:${f.lineNumber + 1}`));
