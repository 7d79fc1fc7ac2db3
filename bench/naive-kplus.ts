/**
 * The same fleet the naive cdk8s-plus-27 way: one chart, and per service one `kplus.Deployment`
 * plus `exposeViaService(LoadBalancer)`, synthesized by `app.synth()` into DIR.
 *
 *   node --import tsx bench/naive-kplus.ts --size 10000 --out /tmp/naive
 *
 * Prints one JSON line: {size, objects, ms, rssMB}.
 */
import * as fs from 'fs';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Command } from 'commander';

const opts = new Command('bench-naive-kplus')
  .requiredOption('--size <n>', 'fleet size', (v) => parseInt(v, 10))
  .requiredOption('--out <dir>', 'output folder')
  .parse()
  .opts<{ size: number; out: string }>();

const t0 = performance.now();
const app = new App({ outdir: opts.out });
const chart = new Chart(app, 'fleet', { namespace: 'fleet' });
for (let i = 0; i < opts.size; i++) {
  const name = `service-${String(i).padStart(Math.max(3, String(opts.size - 1).length), '0')}`;
  const d = new kplus.Deployment(chart, name, {
    replicas: 1,
    containers: [{ image: 'gcr.io/bench/grpc-server:1.0.0', portNumber: 10000 }],
  });
  d.exposeViaService({ name, serviceType: kplus.ServiceType.LOAD_BALANCER, ports: [{ port: 10000, targetPort: 10000 }] });
}
app.synth();
const ms = performance.now() - t0;
const text = fs.readdirSync(opts.out).map((f) => fs.readFileSync(`${opts.out}/${f}`, 'utf8')).join('\n');
console.log(JSON.stringify({
  way: 'naive-kplus',
  size: opts.size,
  objects: (text.match(/^kind: /gm) ?? []).length,
  ms: Math.round(ms),
  rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
}));
