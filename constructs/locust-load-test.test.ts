import { App, Chart, JsonPatch, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { CONFIG_HASH_ANNOTATION } from './config-hash';
import { HEADLESS_MASTER_SCRIPT, LocustLoadTest, LocustLoadTestProps, LocustMode } from './locust-load-test';
import { ServiceType } from './service-type';
import { PropError } from './validate';

const LOCUSTFILE = 'from locust import User, task\n\nclass U(User):\n    @task\n    def t(self):\n        pass\n';

function make(props: Partial<LocustLoadTestProps> = {}) {
  const chart = new Chart(new App(), 'test', { namespace: 'loadtest', disableResourceNameHashes: true });
  const lt = new LocustLoadTest(chart, 'locust', { image: 'r/locust:2.32.4', locustfile: LOCUSTFILE, ...props });
  return { chart, lt };
}

function synth(props: Partial<LocustLoadTestProps> = {}) {
  const { chart, lt } = make(props);
  const objects = Testing.synth(chart);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  return { lt, objects, find };
}

const env = (container: any): Record<string, string> => Object.fromEntries(container.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));

const HEADLESS: Partial<LocustLoadTestProps> = {
  mode: LocustMode.HEADLESS, host: 'todo-api.todo-api.svc:10000', workers: 14, users: 10000, spawnRate: 1000, runTimeSeconds: 1200,
};

describe('LocustLoadTest', () => {
  test('interactive (default): master and worker Deployments, the locustfile from a ConfigMap, web UI on 8089, workers on 5557', () => {
    const { objects, find, lt } = synth({ workers: 3, host: 'whoami:10000', webServiceType: ServiceType.LOAD_BALANCER });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/locust-locustfile', 'Service/locust-master', 'Service/locust-web', 'NetworkPolicy/locust', 'Deployment/locust-master', 'Deployment/locust-worker',
    ]);
    const cm = find('ConfigMap', 'locust-locustfile');
    expect(cm.data).toEqual({ 'locustfile.py': LOCUSTFILE });

    const master = find('Deployment', 'locust-master');
    expect(master.spec.replicas).toBe(1);
    expect(master.spec.strategy).toEqual({ type: 'Recreate' });
    expect(master.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'locust', 'app.kubernetes.io/instance': 'locust', 'app.kubernetes.io/component': 'master' });
    const mc = master.spec.template.spec.containers[0];
    expect(mc.command).toBeUndefined();
    expect(env(mc)).toEqual({
      LOCUST_LOCUSTFILE: '/mnt/locust/locustfile.py', LOCUST_HOST: 'whoami:10000', LOCUST_MODE_MASTER: 'true', LOCUST_MASTER_BIND_PORT: '5557',
      LOCUST_USERS: '1', LOCUST_SPAWN_RATE: '1', LOCUST_WEB_PORT: '8089',
    });
    expect(mc.ports).toEqual([{ name: 'master', containerPort: 5557, protocol: 'TCP' }, { name: 'web', containerPort: 8089, protocol: 'TCP' }]);
    expect(mc.readinessProbe.httpGet).toEqual({ path: '/', port: 'web' });
    expect(mc.volumeMounts).toContainEqual({ name: 'locustfile', mountPath: '/mnt/locust', readOnly: true });

    const workers = find('Deployment', 'locust-worker');
    expect(workers.spec.replicas).toBe(3);
    expect(workers.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('worker');
    const wc = workers.spec.template.spec.containers[0];
    expect(env(wc)).toEqual({
      LOCUST_LOCUSTFILE: '/mnt/locust/locustfile.py', LOCUST_HOST: 'whoami:10000', LOCUST_MODE_WORKER: 'true',
      LOCUST_MASTER_NODE_HOST: 'locust-master', LOCUST_MASTER_NODE_PORT: '5557',
    });
    expect(wc.resources).toEqual({ requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });

    // The LoadBalancer carries only the web UI; the master port stays inside the cluster.
    expect(find('Service', 'locust-web').spec).toEqual({
      type: 'LoadBalancer', selector: lt.masterSelector, ports: [{ name: 'web', port: 8089, targetPort: 8089, protocol: 'TCP' }],
    });
    expect(find('Service', 'locust-master').spec).toEqual({
      type: 'ClusterIP', selector: lt.masterSelector, ports: [{ name: 'master', port: 5557, targetPort: 5557, protocol: 'TCP' }],
    });
    expect(lt.ports).toEqual([{ name: 'master', port: 5557, protocol: 'TCP' }, { name: 'web', port: 8089, protocol: 'TCP' }]);
    expect(lt.clients).toEqual([{ podSelector: lt.workerSelector }]);
    expect(lt.node.validate()).toEqual([]);
  });

  test('every pod passes "restricted": non-root uid 1000, no escalation, read-only root, all capabilities dropped', () => {
    for (const props of [{}, HEADLESS]) {
      const { objects } = synth(props);
      for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
        const pod = o.spec.template.spec;
        expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.securityContext.runAsUser).toBe(1000);
        expect(pod.automountServiceAccountToken).toBe(false);
        for (const c of pod.containers) {
          expect(c.securityContext).toEqual({
            allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
          });
          expect(c.resources.requests.cpu).toBeDefined();
          expect(c.resources.requests.memory).toBeDefined();
        }
      }
    }
  });

  test('headless: master Job with the run in LOCUST_* variables, reports in /reports, exit code; worker Job ends with the master', () => {
    const { objects, find } = synth({ ...HEADLESS, exitCodeOnError: 3, reportRetentionSeconds: 600, expectWorkersMaxWaitSeconds: 120 });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/locust-locustfile', 'Service/locust-master', 'NetworkPolicy/locust', 'Job/locust-master', 'Job/locust-worker',
    ]);
    const master = find('Job', 'locust-master');
    expect(master.spec.backoffLimit).toBe(0);
    expect(master.spec.activeDeadlineSeconds).toBe(120 + 1200 + 300 + 600);
    const pod = master.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const mc = pod.containers[0];
    expect(mc.command).toEqual(['sh', '-c', HEADLESS_MASTER_SCRIPT]);
    expect(env(mc)).toMatchObject({
      LOCUST_MODE_MASTER: 'true', LOCUST_HEADLESS: 'true', LOCUST_USERS: '10000', LOCUST_SPAWN_RATE: '1000', LOCUST_RUN_TIME: '1200s',
      LOCUST_EXPECT_WORKERS: '14', LOCUST_EXPECT_WORKERS_MAX_WAIT: '120', LOCUST_CSV: '/reports/locust', LOCUST_HTML: '/reports/locust.html',
      LOCUST_EXIT_CODE_ON_ERROR: '3', MEGA8S_REPORT_RETENTION_SECONDS: '600', LOCUST_HOST: 'todo-api.todo-api.svc:10000',
    });
    expect(env(mc).LOCUST_WEB_PORT).toBeUndefined();
    expect(mc.ports).toEqual([{ name: 'master', containerPort: 5557, protocol: 'TCP' }]);
    expect(mc.volumeMounts).toContainEqual({ name: 'reports', mountPath: '/reports' });
    expect(pod.volumes).toContainEqual({ name: 'reports', emptyDir: { sizeLimit: '1Gi' } });

    const workers = find('Job', 'locust-worker');
    expect(workers.spec.parallelism).toBe(14);
    expect(workers.spec.completions).toBe(14);
    expect(workers.spec.activeDeadlineSeconds).toBe(120 + 1200 + 300);
    expect(workers.spec.template.spec.restartPolicy).toBe('OnFailure');
  });

  test('the headless master script runs locust, keeps the pod for the retention, and exits with locust\'s code', () => {
    expect(HEADLESS_MASTER_SCRIPT).toMatch(/^trap 'kill -TERM "\$child" 2>\/dev\/null' TERM INT\nlocust & child=\$!\n/);
    expect(HEADLESS_MASTER_SCRIPT.split('\n').pop()).toBe('exit "$status"');
    expect(HEADLESS_MASTER_SCRIPT).toContain('sleep "$MEGA8S_REPORT_RETENTION_SECONDS"');
  });

  test('modules sit next to the locustfile; a new locustfile rolls master and workers', () => {
    const a = synth({ modules: { 'helpers.py': 'X = 1\n' }, locustfileName: 'todos_locustfile.py' });
    expect(a.find('ConfigMap', 'locust-locustfile').data).toEqual({ 'todos_locustfile.py': LOCUSTFILE, 'helpers.py': 'X = 1\n' });
    expect(env(a.find('Deployment', 'locust-worker').spec.template.spec.containers[0]).LOCUST_LOCUSTFILE).toBe('/mnt/locust/todos_locustfile.py');
    const b = synth({ modules: { 'helpers.py': 'X = 2\n' }, locustfileName: 'todos_locustfile.py' });
    for (const name of ['locust-master', 'locust-worker']) {
      const ha = a.find('Deployment', name).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
      const hb = b.find('Deployment', name).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
      expect(ha).toMatch(/^[0-9a-f]{64}$/);
      expect(ha).not.toBe(hb);
    }
  });

  test('targets: workers reach the master, DNS and their targets only; the master only DNS', () => {
    const { find, lt } = synth({
      ...HEADLESS,
      targets: [{ podSelector: { app: 'todo-api' }, namespace: 'todo-api', port: 10000 }, { podSelector: { grpc: 'true' }, port: 9000 }],
    });
    const dns = {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
    };
    expect(find('NetworkPolicy', 'locust-worker-egress').spec).toEqual({
      podSelector: { matchLabels: lt.workerSelector },
      policyTypes: ['Egress'],
      egress: [
        dns,
        { to: [{ podSelector: { matchLabels: lt.masterSelector } }], ports: [{ protocol: 'TCP', port: 5557 }] },
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'todo-api' } }, podSelector: { matchLabels: { app: 'todo-api' } } }], ports: [{ protocol: 'TCP', port: 10000 }] },
        { to: [{ podSelector: { matchLabels: { grpc: 'true' } } }], ports: [{ protocol: 'TCP', port: 9000 }] },
      ],
    });
    expect(find('NetworkPolicy', 'locust-master-egress').spec).toEqual({ podSelector: { matchLabels: lt.masterSelector }, policyTypes: ['Egress'], egress: [dns] });
    // Without targets, no egress policy: only the master's ingress policy.
    expect(synth().objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual(['locust']);
  });

  test('ingress: the master admits its workers on the master port only; the web UI only from outside behind a LoadBalancer', () => {
    const workers = { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'locust', 'app.kubernetes.io/instance': 'locust', 'app.kubernetes.io/component': 'worker' } } }], ports: [{ protocol: 'TCP', port: 5557 }] };
    for (const props of [HEADLESS, {}, { webServiceType: ServiceType.LOAD_BALANCER }]) {
      const { find, lt } = synth(props);
      const policy = find('NetworkPolicy', 'locust');
      expect(lt.networkPolicy).toBeDefined();
      expect(lt.clients).toEqual([{ podSelector: lt.workerSelector }]);
      expect(policy.spec.podSelector).toEqual({ matchLabels: lt.masterSelector });
      expect(policy.spec.policyTypes).toEqual(['Ingress']);
      expect(policy.spec.ingress).toEqual(!('webServiceType' in props) ? [workers] : [workers, { ports: [{ protocol: 'TCP', port: 8089 }] }]);
    }
  });

  test('the validation catches an escape-hatch edit that breaks --expect-workers or the ports', () => {
    const { lt } = make(HEADLESS);
    expect(lt.node.validate()).toEqual([]);
    lt.workerSet.addJsonPatch(JsonPatch.replace('/spec/parallelism', 13));
    expect(lt.node.validate()).toEqual([
      '--expect-workers "14" of locust-master is not the parallelism 13 of locust-worker: the master would wait for workers that never come, or start without some; expected them equal',
    ]);
    const ports = make({ masterPort: 6000 }).lt;
    ports.masterService.addJsonPatch(JsonPatch.replace('/spec/ports/0/targetPort', 5557));
    ports.workerSet.addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/env/2/value', 'elsewhere'));
    expect(ports.node.validate()).toEqual([
      'the target port of Service locust-master 5557 is not the master\'s --master-bind-port "6000": the workers would never connect; expected them equal',
      'the workers\' --master-host "elsewhere" is not the master Service "locust-master": expected the Service\'s name',
    ]);
    const web = make().lt;
    web.webService!.addJsonPatch(JsonPatch.replace('/spec/ports/0/targetPort', 80));
    expect(web.node.validate()).toEqual(['the target port of Service locust-web 80 is not the master\'s --web-port "8089": the web UI would be unreachable; expected them equal']);
  });

  test.each([
    [{ locustfile: '' }, 'locustfile "" is empty or not a string'],
    [{ locustfileName: 'my-file.py' }, 'locustfileName "my-file.py" is not a Python module file name'],
    [{ modules: { 'locustfile.py': 'x' } }, 'modules key "locustfile.py" is the locustfile\'s own name'],
    [{ modules: { 'a.txt': 'x' } }, 'modules key "a.txt" is not a Python module file name'],
    [{ modules: { 'big.py': 'x'.repeat(1024 * 1024) } }, 'do not fit in a ConfigMap: expected at most 1048576 bytes'],
    [{ workers: 0 }, 'workers 0 is out of range: expected in range 1-1000'],
    [{ workers: 2.5 }, 'workers 2.5 is not an integer'],
    [{ mode: 'batch' }, 'mode "batch" is not one of interactive, headless'],
    [{ mode: LocustMode.HEADLESS }, 'host undefined is required in headless mode'],
    [{ host: 'a b:1' }, 'host "a b:1" is not a target'],
    [{ spawnRate: 0 }, 'spawnRate 0 is not a number of users per second above 0'],
    [{ users: 5, spawnRate: 10 }, 'spawnRate 10 is not a number of users per second above 0 and at most users (5)'],
    [{ runTimeSeconds: 60 }, 'runTimeSeconds 60 is not supported in interactive mode'],
    [{ ...HEADLESS, webPort: 8089 }, 'webPort 8089 is not supported in headless mode'],
    [{ ...HEADLESS, exitCodeOnError: 256 }, 'exitCodeOnError 256 is out of range: expected in range 0-255'],
    [{ ...HEADLESS, runTimeSeconds: 0 }, 'runTimeSeconds 0 is out of range'],
    [{ masterPort: 80 }, 'masterPort 80 is a privileged port'],
    [{ webPort: 5557 }, 'webPort 5557 is masterPort too'],
    [{ webServiceType: ServiceType.HEADLESS }, 'webServiceType "Headless" is not supported'],
    [{ replicas: 2 }, 'replicas 2 is out of range: expected in range 1-1'],
    [{ env: [{ name: 'LOCUST_USERS', value: '5' }] }, 'env "LOCUST_USERS" is set by the construct itself'],
    [{ targets: [] }, 'targets [] is not a non-empty list'],
    [{ targets: [{ podSelector: {}, port: 1 }] }, 'targets.podSelector {} is an empty pod selector'],
    [{ targets: [{ podSelector: { a: 'b' }, port: 0 }] }, 'targets.port 0 is out of range 1-65535'],
    [{ name: 'n'.repeat(57) }, 'is longer than 56 characters'],
  ])('%j is refused', (props, message) => {
    let error: unknown;
    try { make(props as any); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(PropError);
    expect((error as Error).message.startsWith('test/locust: ')).toBe(true);
    expect((error as Error).message).toContain(message);
  });

  test('snapshots: interactive and headless (YAML)', () => {
    expect(yaml.stringify(synth({ workers: 2 }).objects)).toMatchSnapshot();
    expect(yaml.stringify(synth({ ...HEADLESS, targets: [{ podSelector: { app: 'todo-api' }, namespace: 'todo-api', port: 10000 }] }).objects)).toMatchSnapshot();
  });
});
