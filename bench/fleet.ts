/**
 * FleetOf(N) GrpcServices synthesized the mega8s way, written to DIR/fleet.k8s.yaml.
 *
 *   node --import tsx bench/fleet.ts --size 10000 --out /tmp/fleet
 *
 * Prints one JSON line: {size, objects, ms, rssMB, peakRssMB, phases}. `ms` is build + toJson +
 * YAML + write, the same work bench/naive-kplus.ts does; `phases.checkMs` is the synth's checks,
 * reported beside it and not included (the naive way has none). The YAML is streamed to the file
 * as each object is rendered (`--whole`: rendered into one string first, then written, as before).
 * `peakRssMB` is the process's peak resident set (getrusage), `rssMB` the resident set at the end.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { Command } from 'commander';
import { FleetOf, GrpcService, ServiceType, SecureNamespace } from '../constructs';
import { parseEnvironment } from '../lib/env';
import { chartObjects, orderedApiObjects } from '../lib/synth/build';
import type { Manifest, SynthObject } from '../constructs/checks';
import { checkObjects } from '../lib/synth/check';
import { streamYamlDocuments, toYamlDocuments } from '../lib/synth/yaml';

const opts = new Command('bench-fleet')
  .requiredOption('--size <n>', 'fleet size', (v) => parseInt(v, 10))
  .requiredOption('--out <dir>', 'output folder')
  .option('--no-check', 'skip the synth checks')
  .option('--whole', 'render the whole YAML into one string before writing it (the old way)', false)
  .option('--cdk8s-render', "render each object with cdk8s's own ApiObject.toJson (its resolver walk) instead of mega8s's plain-JSON renderer (the same bytes)", false)
  .parse()
  .opts<{ size: number; out: string; check: boolean; whole: boolean; cdk8sRender: boolean }>();

const t0 = performance.now();
const app = new App();
const chart = new Chart(app, 'fleet', { namespace: 'fleet', disableResourceNameHashes: true });
new SecureNamespace(chart, 'ns', { name: 'fleet' });
new FleetOf(chart, 'service', {
  size: opts.size,
  allowAboveServiceLimit: true,
  labels: { grpc: 'true', service: 'whoami' },
  member: (s, id) => new GrpcService(s, id, { image: 'gcr.io/bench/grpc-server:1.0.0', appName: 'whoami', serviceType: ServiceType.LOAD_BALANCER }),
});
const t1 = performance.now();
const objects = opts.cdk8sRender ? cdk8sRendered(chart) : chartObjects('fleet', chart);
const t2 = performance.now();
fs.mkdirSync(opts.out, { recursive: true });
const file = path.join(opts.out, 'fleet.k8s.yaml');
let t3: number;
if (opts.whole) {
  const yaml = toYamlDocuments(objects.map((o) => o.manifest));
  t3 = performance.now();
  fs.writeFileSync(file, yaml);
} else {
  // Rendering and writing interleave: yamlMs is the whole of it, writeMs only the close.
  const fd = fs.openSync(file, 'w');
  try {
    streamYamlDocuments((function* () { for (const o of objects) yield o.manifest; })(), (chunk) => fs.writeSync(fd, chunk));
    t3 = performance.now();
  } finally {
    fs.closeSync(fd);
  }
}
const t4 = performance.now();
let checkMs: number | undefined;
if (opts.check) {
  const n = opts.size;
  const env = parseEnvironment('bench', 'bench.env', [
    'IMAGE_REGISTRY=gcr.io/bench', 'IMAGE_TAG=1.0.0', `FOURHUNDRED_FLEET_SIZE=${Math.min(n, 10000)}`,
    `QUOTA_FORWARDING_RULES=${n}`, `QUOTA_TARGET_POOLS=${n}`, `QUOTA_FIREWALLS=${n}`, `QUOTA_CPUS=${n}`, 'QUOTA_DISK_GB=0',
  ].join('\n'));
  const problems = checkObjects(env, objects);
  if (problems.length) throw new Error(`bench output failed the checks: ${problems[0].message}`);
  checkMs = Math.round(performance.now() - t4);
}
/** What chartObjects does, each object rendered by cdk8s's own toJson. */
function cdk8sRendered(c: Chart): SynthObject[] {
  const all = c.node.findAll();
  for (const x of all) if (x.node.validate().length) throw new Error(`${x.node.path}: ${x.node.validate()[0]}`);
  return orderedApiObjects(c, all).map((x) => ({ chart: 'fleet', path: x.node.path, manifest: ApiObject.prototype.toJson.call(x) as Manifest }));
}
const r = (x: number) => Math.round(x);
console.log(JSON.stringify({
  way: 'mega8s',
  size: opts.size,
  objects: objects.length,
  ms: r(t4 - t0),
  rssMB: r(process.memoryUsage().rss / 2 ** 20),
  peakRssMB: r(process.resourceUsage().maxRSS / 1024),
  streamed: !opts.whole,
  renderer: opts.cdk8sRender ? 'cdk8s' : 'mega8s',
  phases: { buildMs: r(t1 - t0), toJsonMs: r(t2 - t1), yamlMs: r(t3 - t2), writeMs: r(t4 - t3), checkMs },
}));
