/**
 * The schema check validates a manifest as it is when kubernetes-models' model would copy it
 * unchanged, and through the model otherwise: both must give exactly what the model's own
 * `validate()` gives, for every kind the library emits, good and broken.
 */
import { Chart, Testing } from 'cdk8s';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  BlueGreenService, Color, FleetOf, GkeStorageClass, GrpcService, LocustLoadTest, Microservice, MongoReplicaSet,
  NodeDrainer, Postgres, SecureNamespace, ServiceType,
} from '..';
import { chartObjects } from './app';
import { Manifest } from './objects';
import { schemaProblems } from './schema';

/** One of every kind the library's constructs emit. */
function libraryManifests(): Manifest[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'team', disableResourceNameHashes: true });
  new SecureNamespace(chart, 'ns', { name: 'team' });
  new GrpcService(chart, 'api', { image: 'gcr.io/p/api:1', serviceType: ServiceType.LOAD_BALANCER, autoscaling: { maxReplicas: 3 } }).allowFrom({ app: 'client' });
  new FleetOf(chart, 'fleet', { size: 2, member: (s, id) => new GrpcService(s, id, { image: 'gcr.io/p/m:1' }) });
  new Microservice(chart, 'web', { image: 'gcr.io/p/web:1.0', apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
  new MongoReplicaSet(chart, 'mongo');
  new Postgres(chart, 'pg');
  new NodeDrainer(chart, 'drainer');
  new LocustLoadTest(chart, 'locust', { image: 'locustio/locust:2.32.4', locustfile: 'from locust import User\n' });
  new BlueGreenService(chart, 'bg', { imageRepository: 'gcr.io/p/app', blueTag: '1.0', greenTag: '1.1', activeColor: Color.BLUE, smokeJob: { args: ['smoke'] } });
  new GkeStorageClass(chart, 'ssd');
  return chartObjects(chart, 'c').map((o) => o.manifest);
}

/** What the model gives: `new Model(m).validate()`, its errors as the checks word them. */
function viaModel(m: any): string[] {
  const dir = m.apiVersion.includes('/') ? m.apiVersion : m.apiVersion;
  const Model = require(`kubernetes-models/${dir}/${m.kind}`)[m.kind];
  try {
    new Model(m).validate();
    return [];
  } catch (e: any) {
    return e.errors.map((x: any) => `does not match the ${m.apiVersion} ${m.kind} schema: ${x.instancePath || '/'} ${x.message}${x.params?.allowedValues ? ` (${x.params.allowedValues.join(', ')})` : ''}`);
  }
}

const copy = (m: Manifest): any => JSON.parse(JSON.stringify(m));

/** Ways to break (or oddly shape) a manifest; each returns a changed copy. */
const CHANGES: Record<string, (m: any) => void> = {
  'as it is': () => {},
  'name is a number': (m) => { m.metadata.name = 5; },
  'a label value is a number': (m) => { m.metadata.labels = { ...m.metadata.labels, n: 1 }; },
  'a label value is undefined (the model drops it)': (m) => { m.metadata.labels = { ...m.metadata.labels, gone: undefined }; },
  'an annotation is null': (m) => { m.metadata.annotations = { a: null }; },
  'spec is a string': (m) => { if (m.spec !== undefined) m.spec = 'x'; else m.metadata.namespace = ['x']; },
  'an unknown field': (m) => { m.extra = { deep: [1, { a: undefined }] }; },
  'metadata has no prototype': (m) => { m.metadata = Object.assign(Object.create(null), m.metadata, { name: 7 }); },
  'metadata inherits its name': (m) => { const { name, ...rest } = m.metadata; m.metadata = Object.assign(Object.create({ name }), rest); },
  'a Date in the metadata': (m) => { m.metadata.creationTimestamp = new Date(0); },
  'the first container loses its name and gets a bad port': (m) => {
    const c = (m.spec?.template?.spec ?? m.spec?.jobTemplate?.spec?.template?.spec)?.containers?.[0];
    if (c) { delete c.name; c.ports = [{ containerPort: 'eighty', protocol: undefined }]; }
  },
  'a Service of an unknown type with a string port': (m) => { if (m.kind === 'Service') { m.spec.type = 'Nope'; m.spec.ports[0].port = '80'; } },
  'rules are not a list': (m) => { if (m.rules) m.rules = { verbs: 'get' }; },
  'data values are numbers or undefined': (m) => { if (m.kind === 'ConfigMap') m.data = { a: 1, b: undefined }; },
};

/** The changes the schema accepts (unknown fields are allowed, a name is not required). */
const HARMLESS = ['as it is', 'a label value is undefined (the model drops it)', 'an unknown field', 'metadata inherits its name'];

describe('schemaProblems gives what the kubernetes-models model gives', () => {
  const manifests = libraryManifests();
  const kinds = [...new Set(manifests.map((m) => `${m.apiVersion} ${m.kind}`))].sort();

  test('the library emits the kinds this test is about', () => {
    expect(kinds).toEqual(expect.arrayContaining([
      'apps/v1 DaemonSet', 'apps/v1 Deployment', 'apps/v1 StatefulSet', 'autoscaling/v2 HorizontalPodAutoscaler', 'batch/v1 Job',
      'networking.k8s.io/v1 NetworkPolicy', 'policy/v1 PodDisruptionBudget', 'rbac.authorization.k8s.io/v1 ClusterRole',
      'rbac.authorization.k8s.io/v1 ClusterRoleBinding', 'rbac.authorization.k8s.io/v1 Role', 'rbac.authorization.k8s.io/v1 RoleBinding',
      'storage.k8s.io/v1 StorageClass', 'v1 ConfigMap', 'v1 Namespace', 'v1 ResourceQuota', 'v1 Service', 'v1 ServiceAccount',
    ]));
  });

  test.each(Object.keys(CHANGES))('%s', (change) => {
    let broken = 0;
    for (const m of manifests) {
      const changed = copy(m);
      CHANGES[change](changed);
      const expected = viaModel(changed);
      if (expected.length) broken++;
      expect({ object: `${m.kind} ${m.metadata.name}`, problems: schemaProblems(changed) }).toEqual({ object: `${m.kind} ${m.metadata.name}`, problems: expected });
    }
    if (HARMLESS.includes(change)) expect(broken).toBe(0);
    else expect(broken).toBeGreaterThan(0);
  });

  test('a cycle outside the schema fails as the model fails', () => {
    const m: any = copy(manifests.find((x) => x.kind === 'Service')!);
    m.extra = { self: m };
    const problems = schemaProblems(m);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^does not match the v1 Service schema: Maximum call stack size exceeded/);
  });

  test('a plain manifest is validated as it is, an odd one through the model', () => {
    const validate = jest.spyOn(Deployment.prototype, 'validate');
    try {
      const m = copy(manifests.find((x) => x.kind === 'Deployment')!);
      expect(schemaProblems(m)).toEqual([]);
      expect(validate.mock.contexts[0]).toBe(m);
      const odd = copy(m);
      odd.metadata.labels.gone = undefined;
      expect(schemaProblems(odd)).toEqual([]);
      expect(validate.mock.contexts[1]).toBeInstanceOf(Deployment);
      expect(validate.mock.contexts[1]).not.toHaveProperty('metadata.labels.gone');
    } finally {
      validate.mockRestore();
    }
  });
});

describe('which kubernetes-models modules load, and when', () => {
  test('every kind the library emits has its validator named by a literal path (bundled with the app), and none loads before it is checked', () => {
    const kinds = [...new Set(libraryManifests().map((m) => `${m.apiVersion}/${m.kind}`))];
    let loads = 0;
    jest.isolateModules(() => {
      jest.doMock('kubernetes-models/apps/v1/Deployment', () => { loads++; return jest.requireActual('kubernetes-models/apps/v1/Deployment'); });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('./schema');
      expect(loads).toBe(0);
      const deployment = libraryManifests().find((m) => m.kind === 'Deployment')!;
      expect(fresh.schemaProblems(deployment)).toEqual([]);
      expect(loads).toBe(1);
      expect(fresh.schemaProblems(deployment)).toEqual([]);
      expect(loads).toBe(1);
      for (const k of kinds) expect({ kind: k, literal: k in fresh.EMITTED_KINDS }).toEqual({ kind: k, literal: true });
    });
    jest.dontMock('kubernetes-models/apps/v1/Deployment');
  });

  test('a kind mega8s does not emit is still validated, its module required by name', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i:1', ports: [{ containerPort: 'x' }] }] } } as unknown as Manifest;
    expect(schemaProblems(pod).join('\n')).toContain('containerPort');
  });
});
