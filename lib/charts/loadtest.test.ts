import { Testing } from 'cdk8s';
import { loadEnvironment, parseEnvironment } from '../env';
import { chartObjects } from '../synth/build';
import { toYamlDocuments } from '../synth/yaml';
import { FourHundredChart, WHOAMI_CLIENT_LABELS } from './fourhundred';
import { LoadTestChart } from './loadtest';
import { LOADTEST_NAMESPACE, loadTestWorkerLabels } from './loadtest-workers';
import { LOCUSTFILES } from '../loadtest/locustfiles.generated';

function objectsFor(file: string) {
  const env = loadEnvironment(file);
  const chart = new LoadTestChart(Testing.app(), env);
  return { chart, objects: chartObjects('loadtest', chart).map((o) => o.manifest as any) };
}
const named = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const env = (c: any): Record<string, string> => Object.fromEntries(c.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));

const QA = ['IMAGE_REGISTRY=r.example.com/t', 'IMAGE_TAG=1.0.0', 'FOURHUNDRED_FLEET_SIZE=0', 'LOADTEST_WORKERS=3',
  'QUOTA_FORWARDING_RULES=9', 'QUOTA_TARGET_POOLS=9', 'QUOTA_FIREWALLS=9', 'QUOTA_CPUS=9', 'QUOTA_DISK_GB=9'];

describe('loadtest chart', () => {
  test('workers per environment as in the article: dev 1, staging 2, prod 14, for each target', () => {
    for (const [file, workers] of [['envs/dev.env', 1], ['envs/staging.env', 2], ['envs/prod.env', 14]] as const) {
      const { objects } = objectsFor(file);
      for (const t of ['whoami', 'todo-api']) {
        const w = objects.find((o) => o.metadata.name === `locust-${t}-worker` && (o.kind === 'Job' || o.kind === 'Deployment'));
        expect(w.kind === 'Job' ? w.spec.parallelism : w.spec.replicas).toBe(workers);
        if (w.kind === 'Job') expect(env(named(objects, 'Job', `locust-${t}-master`).spec.template.spec.containers[0]).LOCUST_EXPECT_WORKERS).toBe(String(workers));
      }
    }
  });

  test('dev: headless runs in a restricted namespace, each target its locustfile from a ConfigMap', () => {
    const { objects } = objectsFor('envs/dev.env');
    const ns = named(objects, 'Namespace', 'loadtest');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(objects.filter((o) => o.kind !== 'Namespace').every((o) => o.metadata.namespace === 'loadtest')).toBe(true);
    expect(named(objects, 'ConfigMap', 'locust-whoami-locustfile').data).toEqual({ 'whoami_locustfile.py': LOCUSTFILES['whoami_locustfile.py'] });
    expect(named(objects, 'ConfigMap', 'locust-todo-api-locustfile').data).toEqual({ 'todos_locustfile.py': LOCUSTFILES['todos_locustfile.py'] });
    const whoami = named(objects, 'Job', 'locust-whoami-master').spec.template.spec.containers[0];
    expect(whoami.image).toBe('gcr.io/mega8s-dev/mega8s-locust:0.1.0');
    expect(env(whoami)).toMatchObject({
      LOCUST_HOST: 'service-000.fourhundred.svc:10000', LOCUST_LOCUSTFILE: '/mnt/locust/whoami_locustfile.py', LOCUST_HEADLESS: 'true',
      LOCUST_USERS: '10', LOCUST_SPAWN_RATE: '10', LOCUST_RUN_TIME: '60s', LOCUST_EXPECT_WORKERS: '1', LOCUST_EXIT_CODE_ON_ERROR: '1',
      LOCUST_CSV: '/reports/locust-whoami', LOCUST_HTML: '/reports/locust-whoami.html',
    });
    expect(env(named(objects, 'Job', 'locust-todo-api-master').spec.template.spec.containers[0]).LOCUST_HOST).toBe('todo-api.todo-api.svc:10000');
    expect(objects.some((o) => o.kind === 'Service' && o.spec.type === 'LoadBalancer')).toBe(false);
  });

  test('prod: interactive, the web UI behind a LoadBalancer on 8089, 10,000 users at 1,000/s as the form\'s defaults', () => {
    const { objects } = objectsFor('envs/prod.env');
    const web = named(objects, 'Service', 'locust-todo-api-web');
    expect(web.spec.type).toBe('LoadBalancer');
    expect(web.spec.ports).toEqual([{ name: 'web', port: 8089, targetPort: 8089, protocol: 'TCP' }]);
    expect(named(objects, 'Service', 'locust-todo-api-master').spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'master', port: 5557, targetPort: 5557, protocol: 'TCP' }] });
    const master = named(objects, 'Deployment', 'locust-todo-api-master').spec.template.spec.containers[0];
    expect(env(master)).toMatchObject({ LOCUST_USERS: '10000', LOCUST_SPAWN_RATE: '1000', LOCUST_WEB_PORT: '8089' });
    expect(env(master).LOCUST_HEADLESS).toBeUndefined();
    expect(objects.some((o) => o.kind === 'Job')).toBe(false);
  });

  test('NetworkPolicies: the workers reach their master, DNS and their target\'s pods on 10000, nothing else', () => {
    const { objects } = objectsFor('envs/prod.env');
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([
      'default-deny-ingress',
      'locust-todo-api', 'locust-todo-api-master-egress', 'locust-todo-api-worker-egress',
      'locust-whoami', 'locust-whoami-master-egress', 'locust-whoami-worker-egress',
    ]);
    expect(named(objects, 'NetworkPolicy', 'default-deny-ingress').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    const egress = named(objects, 'NetworkPolicy', 'locust-whoami-worker-egress').spec;
    expect(egress.podSelector.matchLabels).toEqual(loadTestWorkerLabels('whoami'));
    expect(egress.policyTypes).toEqual(['Egress']);
    expect(egress.egress.slice(1)).toEqual([
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'locust', 'app.kubernetes.io/instance': 'locust-whoami', 'app.kubernetes.io/component': 'master' } } }], ports: [{ protocol: 'TCP', port: 5557 }] },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'fourhundred' } }, podSelector: { matchLabels: { grpc: 'true', service: 'whoami' } } }], ports: [{ protocol: 'TCP', port: 10000 }] },
    ]);
    expect(egress.egress[0].ports).toEqual([{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }]);
    const todo = named(objects, 'NetworkPolicy', 'locust-todo-api-worker-egress').spec.egress[2];
    expect(todo.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'todo-api' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'todo-api', 'app.kubernetes.io/instance': 'todo-api' } } }]);
    expect(named(objects, 'NetworkPolicy', 'locust-whoami-master-egress').spec.egress).toHaveLength(1);
  });

  test('the whoami fleet admits the whoami workers from namespace loadtest (and its own clients); the masters admit only their workers, on 5557', () => {
    const env4 = loadEnvironment('envs/dev.env');
    const fleet = new FourHundredChart(Testing.app(), env4).fleet;
    for (const m of fleet.members) expect(m.clients).toEqual([{ podSelector: loadTestWorkerLabels('whoami'), namespace: LOADTEST_NAMESPACE }, { podSelector: WHOAMI_CLIENT_LABELS }]);
    for (const file of ['envs/dev.env', 'envs/prod.env']) {
      const { chart, objects } = objectsFor(file);
      for (const t of ['whoami', 'todo-api'] as const) {
        const test = chart.tests[t]!;
        expect(test.workerSelector).toEqual(loadTestWorkerLabels(t));
        expect(test.clients).toEqual([{ podSelector: loadTestWorkerLabels(t) }]);
        // The master's policy: its own workers, on the master port only (the web UI, in prod behind
        // a LoadBalancer, only from outside).
        const policy = named(objects, 'NetworkPolicy', `locust-${t}`).spec;
        expect(policy.podSelector).toEqual({ matchLabels: test.masterSelector });
        expect(policy.policyTypes).toEqual(['Ingress']);
        const workers = { from: [{ podSelector: { matchLabels: loadTestWorkerLabels(t) } }], ports: [{ protocol: 'TCP', port: 5557 }] };
        expect(policy.ingress).toEqual(file === 'envs/prod.env' ? [workers, { ports: [{ protocol: 'TCP', port: 8089 }] }] : [workers]);
      }
    }
  });

  test('LOADTEST_TARGETS picks the targets; whoami without a fleet is refused', () => {
    const env = parseEnvironment('qa', 'envs/qa.env', [...QA, 'LOADTEST_TARGETS=todo-api'].join('\n'));
    const objects = chartObjects('loadtest', new LoadTestChart(Testing.app(), env)).map((o) => o.manifest as any);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(['locust-todo-api-master', 'locust-todo-api-worker']);
    expect(named(objects, 'Deployment', 'locust-todo-api-worker').spec.replicas).toBe(3);
    expect(named(objects, 'Service', 'locust-todo-api-web').spec.type).toBe('ClusterIP');
    const noFleet = parseEnvironment('qa', 'envs/qa.env', QA.join('\n'));
    expect(() => new LoadTestChart(Testing.app(), noFleet)).toThrow('environment qa: LOADTEST_TARGETS includes whoami but FOURHUNDRED_FLEET_SIZE is 0');
  });

  test('LOADTEST_WORKERS defaults to 1 and is bounded', () => {
    const without = QA.filter((l) => !l.startsWith('LOADTEST_WORKERS') && !l.startsWith('FOURHUNDRED'));
    const env = parseEnvironment('qa', 'envs/qa.env', [...without, 'FOURHUNDRED_FLEET_SIZE=1'].join('\n'));
    const objects = chartObjects('loadtest', new LoadTestChart(Testing.app(), env)).map((o) => o.manifest as any);
    expect(named(objects, 'Deployment', 'locust-whoami-worker').spec.replicas).toBe(1);
    expect(() => parseEnvironment('qa', 'envs/qa.env', [...without, 'LOADTEST_WORKERS=0'].join('\n'))).toThrow(/LOADTEST_WORKERS/);
    expect(() => parseEnvironment('qa', 'envs/qa.env', [...without, 'LOADTEST_WORKERS=1001'].join('\n'))).toThrow(/LOADTEST_WORKERS/);
  });

  test('snapshot (dev, YAML)', () => {
    expect(toYamlDocuments(objectsFor('envs/dev.env').objects)).toMatchSnapshot();
  });
});
