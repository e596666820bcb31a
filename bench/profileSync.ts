import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rawCeiling } from './baselines';
import { BenchEnvironment, crmToken, pmsToken } from './environment';
import { productSync } from '../workflows/productSync';

/**
 * `npm run bench:profile [-- --products 10000 --page-size 200 --out profiles]`: where the worker's
 * time goes during one full sync. Runs the raw ceiling and productSync (default settings) once each
 * on one machine, prints their ratio, and a CPU profile of the worker (node --cpu-prof) summed by
 * self time: per function, and per area (Temporal, JSON, hashing, zod, HTTP, the bridge's code).
 */
const { values: args } = parseArgs({
  options: {
    products: { type: 'string', default: '10000' },
    'page-size': { type: 'string' },
    out: { type: 'string', default: 'profiles' },
    top: { type: 'string', default: '25' },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The area a function belongs to, from its script's URL and name. */
function areaOf({ functionName, url }: ProfileNode['callFrame']): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)' || functionName === '(program)') return functionName;
  if (/JSON|stringify|parse$/.test(functionName) && url === '') return 'JSON (native)';
  if (url.includes('@temporalio/core-bridge')) return 'Temporal core bridge';
  if (url.includes('@temporalio/worker') || url.includes('@temporalio/common') || url.includes('@temporalio/workflow'))
    return 'Temporal SDK (workflow activation, payloads)';
  if (url.includes('protobufjs') || url.includes('@temporalio/proto')) return 'protobuf';
  if (url.includes('node_modules/zod')) return 'zod';
  if (url.includes('undici') || url.startsWith('node:internal/deps/undici') || url.includes('node:http') || url.includes('_http_'))
    return 'HTTP';
  if (url.includes('crypto') || functionName.includes('Hash') || functionName === 'digest' || functionName === 'update') return 'hashing';
  if (url.includes('pino')) return 'logging';
  if (url.includes('tsx') || url.includes('esbuild')) return 'tsx (TypeScript loader)';
  if (url.includes('/node_modules/')) return `other: ${url.split('/node_modules/').at(-1)!.split('/')[0]}`;
  if (url.startsWith('node:')) return 'Node internals';
  if (url.startsWith('file://')) return "the bridge's code";
  return 'other native';
}

/** Sums the profile's samples taken during the sync: the `syncUs` before the last `stopUs` (the worker's shutdown). */
function summarise(file: string, top: number, syncUs: number, stopUs: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const to = profile.endTime - stopUs;
  const from = to - syncUs;
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (at >= from && at <= to) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const total = to - from;
  const busy = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName !== '(idle)').reduce((sum, [, us]) => sum + us, 0);
  const perFunction = new Map<string, number>();
  const perArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url
      ? `${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|workflows|activities)\//, '$1/')}:${frame.lineNumber + 1}`
      : 'native';
    const key = `${frame.functionName || '(anonymous)'} ${where}`;
    perFunction.set(key, (perFunction.get(key) ?? 0) + us);
    perArea.set(areaOf(frame), (perArea.get(areaOf(frame)) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1)}%`;
  console.log(`\nworker CPU profile ${path.basename(file)}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy`);
  console.log('\nby area (share of busy time):');
  for (const [area, us] of [...perArea].sort((a, b) => b[1] - a[1]).filter(([area]) => area !== '(idle)'))
    console.log(`  ${pct(us).padStart(6)}  ${area}`);
  console.log(`\ntop ${top} functions by self time:`);
  for (const [key, us] of [...perFunction]
    .sort((a, b) => b[1] - a[1])
    .filter(([key]) => !key.startsWith('(idle)'))
    .slice(0, top))
    console.log(`  ${pct(us).padStart(6)}  ${key}`);
}

async function main(): Promise<void> {
  const products = Number(args.products);
  const outDir = path.resolve(args.out);
  mkdirSync(outDir, { recursive: true });
  const env = new BenchEnvironment();
  try {
    await env.start(products);
    const raw = await rawCeiling({ url: env.pmsUrl, token: pmsToken }, { url: env.crmUrl, token: crmToken });
    await env.freshCrm();
    const before = new Set(readdirSync(outDir));
    // The worker writes its profile when it stops.
    const worker = await env.startWorker('bench-profile', '', {}, ['--cpu-prof', `--cpu-prof-dir=${outDir}`]);
    const started = performance.now();
    const handle = await env.client.workflow.start(productSync, {
      taskQueue: worker.taskQueue,
      workflowId: 'bench-profile-sync',
      args: [{ watermark: null, ...(args['page-size'] ? { pageSize: Number(args['page-size']) } : {}) }],
    });
    const summary = await handle.result();
    const seconds = (performance.now() - started) / 1000;
    const stats = env.crm.stats.snapshot();
    const stopping = performance.now();
    await worker.stop();
    const stopUs = (performance.now() - stopping) * 1000;
    const rawRate = raw.records / raw.seconds;
    const syncRate = summary.counts.created / seconds;
    console.log(`raw ceiling: ${raw.records} records in ${raw.seconds.toFixed(1)} s = ${rawRate.toFixed(0)} records/s`);
    console.log(
      `productSync: ${summary.counts.created} records in ${seconds.toFixed(1)} s = ${syncRate.toFixed(0)} records/s (${summary.pages} pages); ratio ${(syncRate / rawRate).toFixed(2)}`,
    );
    console.log(`CRM during the sync: ${JSON.stringify(stats)}; requests ${env.crm.faults.injected.requests}`);
    const profile = readdirSync(outDir).find((name) => !before.has(name) && name.endsWith('.cpuprofile'));
    if (profile) summarise(path.join(outDir, profile), Number(args.top), seconds * 1e6, stopUs);
    else console.log(`no worker profile appeared in ${outDir}`);
  } finally {
    await env.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
