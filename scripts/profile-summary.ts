// `npx tsx scripts/profile-summary.ts <file.cpuprofile> [--top N]`: where a V8 CPU profile (node
// --cpu-prof, e.g. from `npm run bench -- --profile`) spent its time, by function and by package.
// Several files (a process's main thread and its worker threads) are summed.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 30;
const files = args.filter((a, i) => a !== '--top' && i !== topAt + 1);
if (files.length === 0 || !Number.isInteger(top)) {
  console.error('usage: tsx scripts/profile-summary.ts <file.cpuprofile>... [--top N]');
  process.exit(2);
}
const profiles = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
// Node ids are per profile: key them by file as well.
const byId = new Map<string, ProfileNode>(profiles.flatMap((p, f) => p.nodes.map((n) => [`${f}:${n.id}`, n] as const)));

const selfMicros = new Map<string, number>();
let idle = 0;
profiles.forEach((profile, f) =>
  profile.samples.forEach((id, i) => {
    const key = `${f}:${id}`;
    const delta = profile.timeDeltas[i] ?? 0;
    if (byId.get(key)?.callFrame.functionName === '(idle)') idle += delta;
    else selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
  }),
);
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);

function where(url: string): string {
  if (url === '') return '(native / V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node core';
  const local = /\/work\/[^/]+\/(.+)$/.exec(url.replace('file://', ''))?.[1];
  return local ?? url;
}

const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const frame = byId.get(id)!.callFrame;
  const name = `${frame.functionName || '(anonymous)'}  ${where(frame.url)}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  const place = where(frame.url).replace(/^(node_modules\/)?/, '').split('/').slice(0, frame.url.includes('node_modules') ? 1 : 2).join('/');
  byPlace.set(place, (byPlace.get(place) ?? 0) + micros);
}

const show = (title: string, entries: Map<string, number>, count: number) => {
  console.log(`\n${title}`);
  for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`  ${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(8)} ms  ${name}`);
  }
};
console.log(`${files.join(', ')}: ${(total / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle`);
show('self time by place', byPlace, 20);
show('self time by function', byFunction, top);
