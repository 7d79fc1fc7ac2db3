import { ApiObject, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  CONFIG_HASH_ANNOTATION, addConfigHash, canonicalJson, configHash, configHashAnnotations, referencedConfigMaps,
} from './config-hash';

function configMap(chart: any, id: string, data: Record<string, string>, name = id) {
  return new kplus.k8s.KubeConfigMap(chart, id, { metadata: { name }, data });
}

function deployment(chart: any, id: string, spec: Partial<kplus.k8s.PodSpec> = {}, annotations?: Record<string, string>) {
  return new kplus.k8s.KubeDeployment(chart, id, {
    metadata: { name: id },
    spec: {
      selector: { matchLabels: { app: id } },
      template: {
        metadata: { labels: { app: id }, ...(annotations ? { annotations } : {}) },
        spec: { containers: [{ name: 'app', image: 'app:1' }], ...spec },
      },
    },
  });
}

function synthOf(chart: any, kind: string, name: string) {
  return Testing.synth(chart).find((o) => o.kind === kind && o.metadata.name === name);
}

describe('configHash', () => {
  test('same configuration, same hash; 64 hex digits', () => {
    const a = Testing.chart();
    const b = Testing.chart();
    const hashA = configHash({ configMaps: [configMap(a, 'cfg', { LOG: 'debug', PORT: '80' })], env: [{ name: 'X', value: '1' }] });
    // Key order of the ConfigMap does not matter.
    const hashB = configHash({ configMaps: [configMap(b, 'cfg', { PORT: '80', LOG: 'debug' })], env: [{ name: 'X', value: '1' }] });
    expect(hashA).toMatch(/^[0-9a-f]{64}$/);
    expect(hashB).toBe(hashA);
  });

  test('a changed ConfigMap value, key or name changes the hash', () => {
    const chart = Testing.chart();
    const base = configHash({ configMaps: [configMap(chart, 'a', { LOG: 'debug' })] });
    expect(configHash({ configMaps: [configMap(chart, 'b', { LOG: 'info' }, 'a')] })).not.toBe(base);
    expect(configHash({ configMaps: [configMap(chart, 'c', { LEVEL: 'debug' }, 'a')] })).not.toBe(base);
    expect(configHash({ configMaps: [configMap(chart, 'd', { LOG: 'debug' }, 'other')] })).not.toBe(base);
  });

  test('binaryData counts', () => {
    const chart = Testing.chart();
    const bin = (v: string, id: string) => new kplus.k8s.KubeConfigMap(chart, id, { metadata: { name: 'bin' }, binaryData: { k: v } });
    expect(configHash({ configMaps: [bin('AAAA', 'x')] })).not.toBe(configHash({ configMaps: [bin('AAAB', 'y')] }));
  });

  test('env: a changed value or reference changes the hash; order matters for lists, not for maps', () => {
    const base = configHash({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] });
    expect(configHash({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }] })).not.toBe(base);
    expect(configHash({ env: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }] })).not.toBe(base);
    const ref = (key: string) => configHash({ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key } } }] });
    expect(ref('a')).not.toBe(ref('b'));
    expect(configHash({ env: { A: '1', B: '2' } })).toBe(configHash({ env: { B: '2', A: '1' } }));
    expect(configHash({ env: { A: '1' } })).not.toBe(configHash({ env: { A: '2' } }));
  });

  test('extra data counts; nothing at all is a fixed hash', () => {
    expect(configHash({ data: { file: 'a' } })).not.toBe(configHash({ data: { file: 'b' } }));
    expect(configHash({})).toBe(configHash({ configMaps: [], env: [], data: {} }));
  });

  test('a ConfigMap list is order-free; a non-ConfigMap is rejected with its path', () => {
    const chart = Testing.chart();
    const a = configMap(chart, 'a', { x: '1' });
    const b = configMap(chart, 'b', { y: '2' });
    expect(configHash({ configMaps: [a, b] })).toBe(configHash({ configMaps: [b, a] }));
    const svc = new kplus.k8s.KubeService(chart, 'svc', { metadata: { name: 'svc' } });
    expect(() => configHash({ configMaps: [svc] })).toThrow(`${svc.node.path}: configMaps names Service "svc", which is not a ConfigMap`);
  });

  test('canonical JSON sorts keys and rejects what is not JSON', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }], u: undefined })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('cannot hash a function: configuration must be JSON-shaped');
    expect(() => canonicalJson({ n: NaN })).toThrow('cannot hash NaN: not a finite number');
  });

  test('configHashAnnotations is the annotation to merge into a pod template', () => {
    expect(configHashAnnotations({ env: { A: '1' } })).toEqual({ [CONFIG_HASH_ANNOTATION]: configHash({ env: { A: '1' } }) });
    expect(CONFIG_HASH_ANNOTATION).toBe('mega8s.io/config-hash');
  });
});

describe('addConfigHash on L1 workloads', () => {
  test('finds the ConfigMaps the template references; a change to one rolls the workload, to another does not', () => {
    const hashWith = (used: string, unused: string) => {
      const chart = Testing.chart();
      configMap(chart, 'used', { LOG: used });
      configMap(chart, 'unused', { LOG: unused });
      const d = deployment(chart, 'web', { containers: [{ name: 'app', image: 'app:1', envFrom: [{ configMapRef: { name: 'used' } }] }] });
      const hash = addConfigHash(d);
      const synthesized = synthOf(chart, 'Deployment', 'web');
      expect(synthesized.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toBe(hash);
      return hash;
    };
    const base = hashWith('debug', 'x');
    expect(hashWith('debug', 'x')).toBe(base); // same config
    expect(hashWith('info', 'x')).not.toBe(base); // changed config
    expect(hashWith('debug', 'y')).toBe(base); // unrelated change
  });

  test('volumes, projected volumes and configMapKeyRef count as references', () => {
    expect(referencedConfigMaps({
      volumes: [{ name: 'v', configMap: { name: 'a' } }, { name: 'p', projected: { sources: [{ configMap: { name: 'b' } }, { secret: { name: 's' } }] } }],
      initContainers: [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }] }],
      containers: [{ envFrom: [{ configMapRef: { name: 'a' } }, { secretRef: { name: 's' } }] }],
    })).toEqual(['a', 'b', 'c']);
  });

  test('env of every container is hashed; the image is not configuration', () => {
    const hashOf = (value: string, image = 'app:1') => {
      const chart = Testing.chart();
      const d = deployment(chart, 'web', { containers: [{ name: 'app', image, env: [{ name: 'MODE', value: value }] }] });
      return addConfigHash(d);
    };
    expect(hashOf('a')).toBe(hashOf('a'));
    expect(hashOf('b')).not.toBe(hashOf('a'));
    expect(hashOf('a', 'app:2')).toBe(hashOf('a'));
  });

  test('keeps existing annotations; works on StatefulSets, CronJobs and templates without metadata', () => {
    const chart = Testing.chart();
    const d = deployment(chart, 'web', {}, { 'team': 'a' });
    addConfigHash(d, { env: { A: '1' } });
    expect(synthOf(chart, 'Deployment', 'web').spec.template.metadata.annotations).toEqual({ team: 'a', [CONFIG_HASH_ANNOTATION]: configHash({ env: { A: '1' } }) });

    const cm = configMap(chart, 'cfg', { a: 'b' });
    const sts = new kplus.k8s.KubeStatefulSet(chart, 'db', {
      metadata: { name: 'db' },
      spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { spec: { containers: [{ name: 'db', image: 'db:1' }], volumes: [{ name: 'c', configMap: { name: 'cfg' } }] } } },
    });
    const stsHash = addConfigHash(sts);
    expect(stsHash).toBe(configHash({ configMaps: [cm], env: [] }));
    expect(synthOf(chart, 'StatefulSet', 'db').spec.template.metadata).toEqual({ annotations: { [CONFIG_HASH_ANNOTATION]: stsHash } });

    const cron = new kplus.k8s.KubeCronJob(chart, 'nightly', {
      metadata: { name: 'nightly' },
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { metadata: { labels: { app: 'n' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'n', image: 'n:1' }] } } } } },
    });
    const cronHash = addConfigHash(cron, { data: { schedule: 'v1' } });
    expect(synthOf(chart, 'CronJob', 'nightly').spec.jobTemplate.spec.template.metadata.annotations).toEqual({ [CONFIG_HASH_ANNOTATION]: cronHash });
  });

  test('an object without a pod template is rejected with its path', () => {
    const chart = Testing.chart();
    const svc: ApiObject = new kplus.k8s.KubeService(chart, 'svc', { metadata: { name: 'svc' } });
    expect(() => addConfigHash(svc)).toThrow(`${svc.node.path}: workload "Service" has no pod template: expected one of Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob`);
  });
});
