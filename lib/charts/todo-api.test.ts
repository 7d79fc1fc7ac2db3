import { App, Testing } from 'cdk8s';
import { Environment, loadEnvironment, loadEnvironments, parseEnvironment } from '../env';
import { chartObjects } from '../synth/build';
import { checkObjects, environmentQuotaUse } from '../synth/check';
import { toYamlDocuments } from '../synth/yaml';
import { CHARTS } from '.';
import { LOADTEST_NAMESPACE, loadTestWorkerLabels } from './loadtest-workers';
import { TODO_API_SETTINGS, TodoApiChart, todoApiChart } from './todo-api';

const dev = loadEnvironment('envs/dev.env');
const staging = loadEnvironment('envs/staging.env');
const prod = loadEnvironment('envs/prod.env');

function synth(env: Environment = dev) {
  const chart = todoApiChart.build(new App(), env) as TodoApiChart;
  const objects: any[] = Testing.synth(chart);
  const find = (kind: string, name: string) => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const job = (role: string) => {
    const found = of('Job').filter((j) => j.metadata.labels['app.kubernetes.io/component'] === role);
    expect(found).toHaveLength(1);
    return found[0];
  };
  return { chart, objects, find, of, job };
}

/** dev.env with some keys replaced. */
function devWith(values: Record<string, string>): Environment {
  let text = require('fs').readFileSync('envs/dev.env', 'utf8') as string;
  for (const [k, v] of Object.entries(values)) text = text.replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`);
  return parseEnvironment('dev', 'envs/dev.env', text);
}

const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('todo-api chart', () => {
  test('is part of every environment, in the restricted namespace todo-api', () => {
    expect(CHARTS.map((c) => c.name)).toContain('todo-api');
    for (const env of [dev, staging, prod]) {
      const { find, objects } = synth(env);
      expect(find('Namespace', 'todo-api').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
      for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('todo-api');
    }
  });

  test('what the release CLI expects: todo-api-blue and todo-api-green, one seed Job, one smoke Job', () => {
    const { find, job } = synth();
    find('Deployment', 'todo-api-blue');
    find('Deployment', 'todo-api-green');
    expect(job('seed').metadata.name).toMatch(/^todo-api-seed-[0-9a-f]{10}$/);
    expect(job('smoke').metadata.name).toMatch(/^todo-api-smoke-[0-9a-f]{10}$/);
  });

  test('blue/green: the public Service selects the active colour, the preview the idle one, each colour its own tag', () => {
    for (const [active, idle] of [['blue', 'green'], ['green', 'blue']]) {
      const { find } = synth(devWith({ TODO_API_ACTIVE_COLOR: active, TODO_API_BLUE_TAG: '1.0.0', TODO_API_GREEN_TAG: '1.1.0' }));
      const pod = (color: string) => find('Deployment', `todo-api-${color}`).spec.template.metadata.labels;
      expect(selects(find('Service', 'todo-api').spec.selector, pod(active))).toBe(true);
      expect(selects(find('Service', 'todo-api').spec.selector, pod(idle))).toBe(false);
      expect(selects(find('Service', 'todo-api-preview').spec.selector, pod(idle))).toBe(true);
      expect(selects(find('Service', 'todo-api-preview').spec.selector, pod(active))).toBe(false);
      expect(find('Deployment', 'todo-api-blue').spec.template.spec.containers[0].image).toBe('gcr.io/mega8s-dev/todo-api:1.0.0');
      expect(find('Deployment', 'todo-api-green').spec.template.spec.containers[0].image).toBe('gcr.io/mega8s-dev/todo-api:1.1.0');
    }
  });

  test('a flip changes no Deployment selector', () => {
    const blue = synth(devWith({ TODO_API_ACTIVE_COLOR: 'blue' }));
    const green = synth(devWith({ TODO_API_ACTIVE_COLOR: 'green' }));
    for (const name of ['todo-api-blue', 'todo-api-green']) {
      expect(blue.find('Deployment', name).spec.selector).toEqual(green.find('Deployment', name).spec.selector);
    }
  });

  test('autoscaling 1-10 at 80% CPU for each colour; no replicas in the Deployments', () => {
    const { find, of } = synth();
    expect(of('HorizontalPodAutoscaler')).toHaveLength(2);
    for (const color of ['blue', 'green']) {
      const hpa = find('HorizontalPodAutoscaler', `todo-api-${color}`);
      expect(hpa.spec.scaleTargetRef.name).toBe(`todo-api-${color}`);
      expect(hpa.spec.minReplicas).toBe(1);
      expect(hpa.spec.maxReplicas).toBe(10);
      expect(hpa.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } });
      expect(find('Deployment', `todo-api-${color}`).spec.replicas).toBeUndefined();
      expect(find('Deployment', `todo-api-${color}`).spec.template.spec.containers[0].resources.requests.cpu).toBe('100m');
    }
    const custom = synth(devWith({ TODO_API_MIN_REPLICAS: '2', TODO_API_MAX_REPLICAS: '4', TODO_API_CPU_TARGET: '60' }));
    const hpa = custom.find('HorizontalPodAutoscaler', 'todo-api-green');
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.metrics[0].resource.target.averageUtilization]).toEqual([2, 4, 60]);
  });

  test('the gRPC server: port 10000, native gRPC probes, restricted pods', () => {
    const { find } = synth();
    const d = find('Deployment', 'todo-api-blue');
    const c = d.spec.template.spec.containers[0];
    expect(c.ports).toEqual([{ name: 'grpc', containerPort: 10000, protocol: 'TCP' }]);
    expect(c.readinessProbe.grpc).toEqual({ port: 10000 });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(d.spec.template.spec.securityContext.runAsUser).toBe(65532);
    expect(find('Service', 'todo-api').spec.ports[0]).toEqual({ name: 'grpc', appProtocol: 'grpc', protocol: 'TCP', port: 10000, targetPort: 'grpc' });
  });

  test('MongoDB: a replica set of 1 member in dev, 3 in staging and prod; the program and the seed get its settings', () => {
    expect(synth(dev).find('StatefulSet', 'mongo').spec.replicas).toBe(1);
    expect(synth(staging).find('StatefulSet', 'mongo').spec.replicas).toBe(3);
    expect(synth(prod).find('StatefulSet', 'mongo').spec.replicas).toBe(3);
    const { find, job } = synth(prod);
    for (const c of [find('Deployment', 'todo-api-green').spec.template.spec.containers[0], job('seed').spec.template.spec.containers[0]]) {
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
      expect(env.MONGODB_HOST).toBe([0, 1, 2].map((i) => `mongo-${i}.mongo.todo-api.svc.cluster.local:27017`).join(','));
      expect(env.MONGODB_REPLICA_SET).toBe('rs0');
      expect(env.MONGODB_USERNAME).toBe('admin');
      expect(env.MONGODB_PASSWORD).toEqual({ secretKeyRef: { name: 'mongo-auth', key: 'admin-password' } });
      expect(env.MONGODB_URI).toBeUndefined();
    }
  });

  test('MongoDB is reached only by the todo-api pods and the seed Job', () => {
    const { find, job, chart } = synth();
    const policy = find('NetworkPolicy', 'mongo');
    const from = policy.spec.ingress.flatMap((r: any) => r.from ?? []).map((f: any) => f.podSelector?.matchLabels);
    const clients = from.filter((s: any) => s && s['app.kubernetes.io/name'] === 'todo-api');
    expect(clients).toEqual([chart.todoApi.selector, chart.todoApi.jobSelector('seed')]);
    // The selectors are those of the pods they mean, and of nothing else.
    expect(selects(clients[0], find('Deployment', 'todo-api-blue').spec.template.metadata.labels)).toBe(true);
    expect(selects(clients[0], find('Deployment', 'todo-api-green').spec.template.metadata.labels)).toBe(true);
    expect(selects(clients[1], job('seed').spec.template.metadata.labels)).toBe(true);
    expect(selects(clients[0], job('smoke').spec.template.metadata.labels)).toBe(false);
    expect(selects(clients[1], job('smoke').spec.template.metadata.labels)).toBe(false);
    // The smoke Job and the loadtest chart's todo-api workers are the declared clients of todo-api.
    expect(chart.todoApi.clients).toEqual([
      { podSelector: chart.todoApi.jobSelector('smoke') },
      { podSelector: loadTestWorkerLabels('todo-api'), namespace: LOADTEST_NAMESPACE },
    ]);
  });

  test('zero trust: the namespace denies all ingress; todo-api admits the smoke Job and the loadtest workers on 10000, outside traffic only behind a LoadBalancer', () => {
    const { find, job, chart } = synth();
    expect(find('NetworkPolicy', 'default-deny-ingress').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    const policy = find('NetworkPolicy', 'todo-api');
    expect(policy.spec.podSelector).toEqual({ matchLabels: chart.todoApi.selector });
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const clients = {
      from: [
        { podSelector: { matchLabels: chart.todoApi.jobSelector('smoke') } },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'loadtest' } }, podSelector: { matchLabels: loadTestWorkerLabels('todo-api') } },
      ],
      ports: [{ protocol: 'TCP', port: 10000 }],
    };
    expect(policy.spec.ingress).toEqual([clients]);
    // It protects both colours; the smoke Job's pods are the first client, the seed Job's are none.
    for (const color of ['blue', 'green']) expect(selects(policy.spec.podSelector.matchLabels, find('Deployment', `todo-api-${color}`).spec.template.metadata.labels)).toBe(true);
    expect(selects(clients.from[0].podSelector.matchLabels, job('smoke').spec.template.metadata.labels)).toBe(true);
    expect(selects(clients.from[0].podSelector.matchLabels, job('seed').spec.template.metadata.labels)).toBe(false);
    // Behind the LoadBalancer (staging, prod) outside traffic comes in on the port too.
    expect(synth(prod).find('NetworkPolicy', 'todo-api').spec.ingress).toEqual([clients, { ports: [{ protocol: 'TCP', port: 10000 }] }]);
  });

  test('the seed and smoke Jobs: the idle colour\'s image, suspended for the release, the smoke against the preview Service', () => {
    const { job } = synth(devWith({ TODO_API_ACTIVE_COLOR: 'green', TODO_API_BLUE_TAG: '2.0.0', TODO_API_GREEN_TAG: '1.9.0' }));
    const seed = job('seed');
    const smoke = job('smoke');
    expect(seed.spec.template.spec.containers[0].args).toEqual(['seed']);
    expect(smoke.spec.template.spec.containers[0].args).toEqual(['smoke', '--target', '$(PREVIEW_TARGET)']);
    expect(smoke.spec.template.spec.containers[0].env).toEqual([{ name: 'PREVIEW_TARGET', value: 'todo-api-preview:10000' }]);
    for (const j of [seed, smoke]) {
      expect(j.spec.template.spec.containers[0].image).toBe('gcr.io/mega8s-dev/todo-api:2.0.0');
      expect(j.spec.suspend).toBe(true);
      expect(j.spec.backoffLimit).toBe(2);
      expect(j.spec.activeDeadlineSeconds).toBe(300);
      expect(j.spec.ttlSecondsAfterFinished).toBe(86400);
    }
  });

  test('the public Service is a LoadBalancer where the environment says so; the preview never is', () => {
    expect(synth(dev).find('Service', 'todo-api').spec.type).toBe('ClusterIP');
    for (const env of [staging, prod]) {
      const { find } = synth(env);
      expect(find('Service', 'todo-api').spec.type).toBe('LoadBalancer');
      expect(find('Service', 'todo-api-preview').spec.type).toBe('ClusterIP');
    }
  });

  test('TODO_API_ARGOCD_HOOKS: MongoDB (-2) → seed (-1) → colours (0) → smoke (1) → public Service (2), Jobs not suspended', () => {
    const { find, job, objects } = synth(devWith({ TODO_API_ARGOCD_HOOKS: 'true' }));
    const wave = (o: any) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']);
    expect(wave(find('StatefulSet', 'mongo'))).toBe(-2);
    expect(wave(find('Namespace', 'todo-api'))).toBe(-2);
    expect(wave(job('seed'))).toBe(-1);
    expect(wave(find('Deployment', 'todo-api-green'))).toBe(0);
    expect(wave(job('smoke'))).toBe(1);
    expect(wave(find('Service', 'todo-api'))).toBe(2);
    // The policies sync with what they protect: todo-api's with the colours, the namespace's and MongoDB's before.
    expect(wave(find('NetworkPolicy', 'todo-api'))).toBe(0);
    expect(wave(find('NetworkPolicy', 'default-deny-ingress'))).toBe(-2);
    expect(wave(find('NetworkPolicy', 'mongo'))).toBe(-2);
    expect(job('seed').metadata.annotations['argocd.argoproj.io/hook']).toBe('Sync');
    expect(job('smoke').spec.suspend).toBeUndefined();
    expect(objects.every((o) => !Number.isNaN(wave(o)))).toBe(true);
    expect(synth(dev).find('Deployment', 'todo-api-blue').metadata.annotations).toBeUndefined();
  });

  test('the settings: blue and IMAGE_TAG unless the environment says otherwise; bad values named with file, line and key', () => {
    const bare = parseEnvironment('qa', 'envs/qa.env', 'IMAGE_REGISTRY=gcr.io/q\nIMAGE_TAG=3.2.1\nFOURHUNDRED_FLEET_SIZE=1\nPREEMPTIBLE_NODE_KIND=spot\n'
      + 'QUOTA_FORWARDING_RULES=10\nQUOTA_TARGET_POOLS=10\nQUOTA_FIREWALLS=10\nQUOTA_CPUS=10\nQUOTA_DISK_GB=1000\n');
    const b = synth(bare);
    expect(b.find('Service', 'todo-api').spec.selector['mega8s.io/color']).toBe('blue');
    expect(b.find('Deployment', 'todo-api-blue').spec.template.spec.containers[0].image).toBe('gcr.io/q/todo-api:3.2.1');
    expect(b.find('Deployment', 'todo-api-green').spec.template.spec.containers[0].image).toBe('gcr.io/q/todo-api:3.2.1');
    expect(b.find('StatefulSet', 'mongo').spec.replicas).toBe(3);
    expect(b.find('HorizontalPodAutoscaler', 'todo-api-blue').spec.maxReplicas).toBe(10);
    const keys = TODO_API_SETTINGS.keys.map((k) => k.key);
    expect(keys).toEqual([
      'TODO_API_ACTIVE_COLOR', 'TODO_API_BLUE_TAG', 'TODO_API_GREEN_TAG', 'TODO_API_MIN_REPLICAS', 'TODO_API_MAX_REPLICAS',
      'TODO_API_CPU_TARGET', 'TODO_API_SERVICE_TYPE', 'TODO_API_MONGO_MEMBERS', 'TODO_API_ARGOCD_HOOKS',
    ]);
    expect(() => devWith({ TODO_API_ACTIVE_COLOR: 'red' })).toThrow(/envs\/dev\.env:\d+: TODO_API_ACTIVE_COLOR="red" is invalid: expected one of blue, green/);
    expect(() => devWith({ TODO_API_GREEN_TAG: 'latest' })).toThrow(/TODO_API_GREEN_TAG="latest" is not pinned/);
    expect(() => devWith({ TODO_API_MONGO_MEMBERS: '0' })).toThrow(/TODO_API_MONGO_MEMBERS="0" is out of range/);
    expect(() => synth(devWith({ TODO_API_MIN_REPLICAS: '5', TODO_API_MAX_REPLICAS: '4' })))
      .toThrow('envs/dev.env: TODO_API_MAX_REPLICAS 4 is below TODO_API_MIN_REPLICAS 5: expected at least 5');
  });

  test('every environment passes the checks and the quota preflight', () => {
    for (const env of loadEnvironments('envs')) {
      const chart = todoApiChart.build(new App(), env);
      const objects = chartObjects('todo-api', chart);
      expect(checkObjects(env, objects)).toEqual([]);
      for (const q of environmentQuotaUse(env, objects)) expect(q.need).toBeLessThanOrEqual(q.limit!);
    }
  });

  test('dev snapshot', () => {
    expect(toYamlDocuments(synth().objects)).toMatchSnapshot();
  });
});
