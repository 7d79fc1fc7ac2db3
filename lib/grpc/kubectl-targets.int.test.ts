/**
 * Targets from `kubectl get services -o json`. The fixture is a `kubectl get services --output json`
 * document in the format kubectl 1.27 prints for the fleet's namespace: one Service with an IP, one still
 * waiting for its load balancer, one whose balancer has only a host name, one whose grpc port is not
 * the first, one ClusterIP and one with an empty ingress list.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { identityFromEnv } from './identity';
import { DEFAULT_SELECTOR, discoverTargets, kubectlArgs, targetsFromServiceList } from './kubectl-targets';
import { LoadReport } from './stats';
import { WhoamiServer, startWhoamiServer } from './whoami-server';
import { LOAD_CLI, killAllChildren, runCli } from './processes';

const FIXTURE = path.join(__dirname, 'fixtures/kubectl-get-services.json');
const recorded = (): any => JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));

const EXPECTED_SKIPS = [
  { service: 'fourhundred/service-001', reason: 'no load balancer address yet' },
  { service: 'fourhundred/service-004', reason: 'type ClusterIP has no load balancer' },
  { service: 'fourhundred/service-005', reason: 'no load balancer address yet' },
];

describe('targetsFromServiceList', () => {
  test('takes each load balancer address and the Service\'s grpc port, skipping Services without an address', () => {
    expect(targetsFromServiceList(recorded())).toEqual({
      targets: [
        { service: 'fourhundred/service-000', target: '34.82.61.17:10000', addressKind: 'ip' },
        // No IP, only a host name (as AWS load balancers report): called by that name.
        { service: 'fourhundred/service-002', target: 'a6c1f0e2b9d84e7f-1234567890.us-west-2.elb.amazonaws.com:10000', addressKind: 'hostname' },
        // The port named grpc, not the first one (metrics, 9090).
        { service: 'fourhundred/service-003', target: '34.82.61.19:10001', addressKind: 'ip' },
      ],
      skipped: EXPECTED_SKIPS,
    });
  });

  test('an explicit port replaces the Services\' ports', () => {
    expect(targetsFromServiceList(recorded(), 9000).targets.map((t) => t.target)).toEqual([
      '34.82.61.17:9000', 'a6c1f0e2b9d84e7f-1234567890.us-west-2.elb.amazonaws.com:9000', '34.82.61.19:9000',
    ]);
  });

  test('an IP wins over a host name; IPv6 is bracketed; a Service without ports gets 10000; duplicates are skipped', () => {
    const svc = (name: string, ingress: object[], ports?: object[]) => ({
      kind: 'Service', metadata: { name, namespace: 'ns' }, spec: { type: 'LoadBalancer', ...(ports ? { ports } : {}) }, status: { loadBalancer: { ingress } },
    });
    const found = targetsFromServiceList({
      kind: 'List',
      items: [
        svc('a', [{ hostname: 'lb.example' }, { ip: '203.0.113.5' }], [{ port: 7000 }]),
        svc('b', [{ ip: '2001:db8::5' }]),
        svc('c', [{ ip: '203.0.113.5' }], [{ name: 'grpc', port: 7000 }]),
        { kind: 'Endpoints', metadata: { name: 'd', namespace: 'ns' } },
      ],
    });
    expect(found.targets).toEqual([
      { service: 'ns/a', target: '203.0.113.5:7000', addressKind: 'ip' },
      { service: 'ns/b', target: '[2001:db8::5]:10000', addressKind: 'ip' },
    ]);
    expect(found.skipped).toEqual([
      { service: 'ns/c', reason: 'same address as another service (203.0.113.5:7000)' },
      { service: 'ns/d', reason: 'kind Endpoints is not a Service' },
    ]);
  });

  test('a document without items is refused', () => {
    expect(() => targetsFromServiceList({ kind: 'Status' })).toThrow('kubectl did not print a list of services (no "items" array)');
    expect(() => targetsFromServiceList(null)).toThrow('no "items" array');
  });
});

test('kubectlArgs: the article\'s query, namespace only when given', () => {
  expect(kubectlArgs({ namespace: 'fourhundred', selector: 'grpc=true' }))
    .toEqual(['get', 'services', '--namespace', 'fourhundred', '--selector', 'grpc=true', '--output', 'json']);
  expect(kubectlArgs({})).toEqual(['get', 'services', '--selector', DEFAULT_SELECTOR, '--output', 'json']);
  expect(DEFAULT_SELECTOR).toBe('grpc=true,service=whoami');
});

describe('with a fake kubectl', () => {
  let dir: string;
  const fleet: WhoamiServer[] = [];

  /** Writes an executable `kubectl` into `dir` that records its arguments and prints `output` (or fails). */
  function fakeKubectl(output: object | { fail: string }): { argsFile: string; env: NodeJS.ProcessEnv } {
    const argsFile = path.join(dir, 'kubectl.args');
    const outputFile = path.join(dir, 'kubectl.out');
    fs.rmSync(argsFile, { force: true });
    const body = 'fail' in output
      ? `echo '${output.fail}' >&2\nexit 1`
      : (fs.writeFileSync(outputFile, JSON.stringify(output)), `cat '${outputFile}'`);
    fs.writeFileSync(path.join(dir, 'kubectl'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\n${body}\n`, { mode: 0o755 });
    return { argsFile, env: { PATH: `${dir}${path.delimiter}${process.env.PATH}` } };
  }
  const recordedArgs = (file: string): string[] => fs.readFileSync(file, 'utf8').trimEnd().split('\n');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-kubectl-'));
    for (const name of ['service-000', 'service-002', 'service-003']) {
      fleet.push(await startWhoamiServer({
        host: '127.0.0.1', port: 0,
        identity: identityFromEnv({ POD_NAME: `${name}-pod`, POD_NAMESPACE: 'fourhundred' }, { hostname: () => 'h', ipv4: () => '', version: () => '' }),
      }));
    }
  });
  afterAll(async () => {
    await killAllChildren();
    fleet.forEach((s) => s.forceStop());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The recorded document, its load balancers pointed at the servers above (127.0.0.1, and localhost for the host name). */
  function pointedAtFleet(): any {
    const doc = recorded();
    const byName = new Map(doc.items.map((i: any) => [i.metadata.name, i]));
    const aim = (name: string, server: WhoamiServer, address: { ip?: string; hostname?: string }): void => {
      const item: any = byName.get(name);
      item.status.loadBalancer.ingress = [address];
      item.spec.ports.find((p: any) => p.name === 'grpc').port = server.port;
    };
    aim('service-000', fleet[0], { ip: '127.0.0.1' });
    aim('service-002', fleet[1], { hostname: 'localhost' });
    aim('service-003', fleet[2], { ip: '127.0.0.1' });
    return doc;
  }

  test('npm run load -- --from-kubectl: calls kubectl as the article does and loads every Service with an address', async () => {
    const kubectl = fakeKubectl(pointedAtFleet());
    const result = await runCli(LOAD_CLI, [
      '--from-kubectl', '--namespace', 'fourhundred', '--selector', 'grpc=true,service=whoami',
      '--requests', '60', '--concurrency', '3', '--round-robin', '--json',
    ], kubectl.env);
    expect(recordedArgs(kubectl.argsFile)).toEqual(['get', 'services', '--namespace', 'fourhundred', '--selector', 'grpc=true,service=whoami', '--output', 'json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;
    expect(report.perTarget.map((t) => t.target)).toEqual([fleet[0].address, `localhost:${fleet[1].port}`, fleet[2].address]);
    expect(report).toMatchObject({ requests: 60, failures: 0, distinctPods: 3 });
    expect(report.pods).toEqual({ 'fourhundred/service-000-pod': 20, 'fourhundred/service-002-pod': 20, 'fourhundred/service-003-pod': 20 });
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      ...EXPECTED_SKIPS.map((s) => `load: skipped ${s.service}: ${s.reason}`),
      `load: fourhundred/service-002 has a host name, not an IP: calling localhost:${fleet[1].port}`,
      'load: 3 target(s) from kubectl (3 skipped)',
    ]);
  });

  test('no Service with an address yet: exit 2 without calling anything', async () => {
    const doc = recorded();
    doc.items = doc.items.filter((i: any) => !i.status.loadBalancer.ingress?.length);
    const kubectl = fakeKubectl(doc);
    const result = await runCli(LOAD_CLI, ['--from-kubectl', '--requests', '5'], kubectl.env);
    expect(recordedArgs(kubectl.argsFile)).toEqual(['get', 'services', '--selector', 'grpc=true,service=whoami', '--output', 'json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('load: no service has a load balancer address yet\n');
  });

  test('discoverTargets: --port, kubectl failing, kubectl missing', async () => {
    const ok = fakeKubectl(recorded());
    const found = await discoverTargets({ kubectl: path.join(dir, 'kubectl'), namespace: 'fourhundred', port: 9000 });
    expect(found.targets.map((t) => t.target)).toEqual(targetsFromServiceList(recorded(), 9000).targets.map((t) => t.target));
    expect(recordedArgs(ok.argsFile)).toEqual(['get', 'services', '--namespace', 'fourhundred', '--selector', DEFAULT_SELECTOR, '--output', 'json']);

    fakeKubectl({ fail: 'error: You must be logged in to the server (Unauthorized)' });
    await expect(discoverTargets({ kubectl: path.join(dir, 'kubectl') })).rejects.toThrow(
      `${path.join(dir, 'kubectl')} get services --selector grpc=true,service=whoami --output json failed: error: You must be logged in to the server (Unauthorized)`,
    );
    await expect(discoverTargets({ kubectl: path.join(dir, 'no-such-kubectl') })).rejects.toThrow('no-such-kubectl was not found on PATH');
  });
});
