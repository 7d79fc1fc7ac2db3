/**
 * The floor of cdk8s's own object model at fleet scale: the same objects a FleetOf(N) of
 * GrpcServices emits, made as plain cdk8s ApiObjects whose bodies were prepared beforehand (one
 * member rendered by mega8s, names substituted, outside the timing), one Construct per member as
 * FleetOf makes. Times what any construct library on cdk8s pays whatever its own code does:
 * making the constructs and ApiObjects, and cdk8s rendering them (its own `toJson`).
 *
 *   node --import tsx bench/cdk8s-floor.ts --size 10000
 *
 * Prints one JSON line: {size, objects, buildMs, toJsonMs, ms, peakRssMB}.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { Command } from 'commander';
import { Construct } from 'constructs';
import { FleetOf, GrpcService, ServiceType } from '../constructs';

const opts = new Command('bench-cdk8s-floor')
  .requiredOption('--size <n>', 'fleet size', (v) => parseInt(v, 10))
  .parse()
  .opts<{ size: number }>();

// One member as mega8s renders it, its name a placeholder to substitute.
const width = Math.max(3, String(Math.max(opts.size - 1, 0)).length);
const PLACEHOLDER = FleetOf.memberName('service', 0, opts.size);
const template = (() => {
  const chart = new Chart(new App(), 'fleet', { namespace: 'fleet', disableResourceNameHashes: true });
  const member = new GrpcService(chart, PLACEHOLDER, { image: 'gcr.io/bench/grpc-server:1.0.0', appName: 'whoami', serviceType: ServiceType.LOAD_BALANCER, labels: { grpc: 'true', service: 'whoami' } });
  return member.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject).map((o) => ({ id: o.node.id, text: JSON.stringify(o.toJson()) }));
})();
const bodies = Array.from({ length: opts.size }, (_, i) => {
  const name = `service-${String(i).padStart(width, '0')}`;
  return template.map((t) => ({ id: t.id, body: JSON.parse(t.text.split(PLACEHOLDER).join(name)) }));
});

const t0 = performance.now();
const app = new App();
const chart = new Chart(app, 'fleet', { namespace: 'fleet', disableResourceNameHashes: true });
const fleet = new Construct(chart, 'service');
const objects: ApiObject[] = [];
for (let i = 0; i < opts.size; i++) {
  const member = new Construct(fleet, `service-${String(i).padStart(width, '0')}`);
  for (const { id, body } of bodies[i]) objects.push(new ApiObject(member, id, body));
}
const t1 = performance.now();
let n = 0;
for (const o of objects) if (o.toJson()) n++;
const t2 = performance.now();
const r = (x: number) => Math.round(x);
console.log(JSON.stringify({
  way: 'cdk8s-floor', size: opts.size, objects: n, buildMs: r(t1 - t0), toJsonMs: r(t2 - t1), ms: r(t2 - t0),
  peakRssMB: r(process.resourceUsage().maxRSS / 1024),
}));
