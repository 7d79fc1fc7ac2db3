/**
 * Every exported construct through one table of bad values. Each must throw a `PropError` at
 * construction whose message starts with the construct path, names the prop, shows the value as
 * it was written (`NaN`, `Infinity`, `"…"`) and says what was expected.
 *
 * A new construct is covered by adding one line to SUBJECTS: how to make it and which of the
 * shared props (keys of BAD) it takes.
 */
import { App, Chart, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import {
  BlueGreenService, Color, FleetOf, GkeDiskType, GkeStorageClass, GrpcService, LocustLoadTest, Microservice, MongoReplicaSet, NodeDrainer, PodSecurityLevel,
  Postgres, PropError, ReclaimPolicy, SecureNamespace,
} from '.';
import { show } from './validate';

type Make = (scope: Construct, id: string, props: Record<string, unknown>) => IConstruct;

/** A bad value of a prop: the props that carry it, the prop the error must name, the value it must show. */
interface Bad {
  readonly props: Record<string, unknown>;
  readonly prop: string;
  readonly shows: string;
}

const bad = (props: Record<string, unknown>, prop: string, value: unknown): Bad => ({ props, prop, shows: show(value) });
const scalar = (prop: string, ...values: unknown[]): Bad[] => values.map((v) => bad({ [prop]: v }, prop, v));

const NUMBERS = [NaN, Infinity, -Infinity, -1, 1.5, 2 ** 53];
const DNS_LABELS = ['', ' ', 'UPPER', 'has space', 'a'.repeat(64), 'ünïcode', '-x', 'x-'];
const LABEL_VALUES = [' ', 'has space', 'a'.repeat(64), 'ünïcode', '-x'];
const BAD_KEYS = ['bad key', 'bad key!', 'Bad_Prefix/x', 'x/' + 'n'.repeat(64), 'ünï', ''];
const QUANTITIES = ['-1Gi', 'lots', '', ' ', '10GB', '1.2.3'];

/** Bad values of every shared prop, by prop. */
const BAD: Record<string, Bad[]> = {
  name: scalar('name', ...DNS_LABELS),
  subdomainName: scalar('name', '', ' ', 'UPPER', 'has space', 'ünïcode', 'a'.repeat(254)),
  image: scalar('image', '', ' ', 'has space', 'ünïcode:1'),
  replicas: scalar('replicas', ...NUMBERS),
  terminationGraceSeconds: scalar('terminationGraceSeconds', NaN, Infinity, -1, 1.5, 2 ** 53),
  runAsUser: scalar('runAsUser', 0, -1, NaN, Infinity, 1.5, 2 ** 53),
  partOf: scalar('partOf', '', ...LABEL_VALUES),
  labels: [
    ...BAD_KEYS.map((k) => bad({ labels: { [k]: 'v' } }, 'labels', k)),
    ...LABEL_VALUES.map((v) => bad({ labels: { team: v } }, 'labels', v)),
  ],
  podAnnotations: [
    ...BAD_KEYS.map((k) => bad({ podAnnotations: { [k]: 'v' } }, 'podAnnotations', k)),
    bad({ podAnnotations: { note: 5 } }, 'podAnnotations', 5),
  ],
  resources: [
    ...QUANTITIES.map((q) => bad({ resources: { requests: { memory: q } } }, 'resources.requests.memory', q)),
    bad({ resources: { requests: { cpu: NaN } } }, 'resources.requests.cpu', NaN),
    bad({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }, 'resources.requests.cpu', '2'),
    bad({ resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } }, 'resources.requests.memory', '2Gi'),
  ],
  env: [
    bad({ env: [{ name: 'A', value: Lazy.any({ produce: () => 'x' }) }] }, 'env', Lazy.any({ produce: () => 'x' })),
    bad({ env: [{ name: 'bad name', value: 'x' }] }, 'env', 'bad name'),
    bad({ env: [{ name: '', value: 'x' }] }, 'env', ''),
    bad({ env: [{ name: 'ünï', value: 'x' }] }, 'env', 'ünï'),
    bad({ env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }, 'env', 'A'),
    bad({ env: [{ name: 'A' }] }, 'env', 'A'),
    bad({ env: [{ name: 'A', value: 5 }] }, 'env', 5),
    bad({ env: { A: '1' } }, 'env', { A: '1' }),
  ],
  scheduling: [
    ...BAD_KEYS.map((k) => bad({ nodeSelector: { [k]: 'v' } }, 'nodeSelector', k)),
    bad({ tolerations: [{ key: 'k', operator: 'Bogus' }] }, 'tolerations', 'Bogus'),
    bad({ tolerations: [{ key: 'bad key' }] }, 'tolerations', 'bad key'),
    bad({ tolerations: [{ key: 'k', effect: 'NoExecute', tolerationSeconds: NaN }] }, 'tolerations', NaN),
    bad({ nodeAffinity: { required: [[{ key: 'k', operator: 'Near', values: ['x'] }]] } }, 'nodeAffinity', 'Near'),
    bad({ nodeAffinity: { required: [] } }, 'nodeAffinity', []),
  ],
  storageSize: scalar('storageSize', ...QUANTITIES),
  port: scalar('port', NaN, Infinity, 0, -1, 8080.5, 70000, 2 ** 53),
  autoscaling: [
    bad({ autoscaling: { maxReplicas: NaN } }, 'autoscaling.maxReplicas', NaN),
    bad({ autoscaling: { maxReplicas: Infinity } }, 'autoscaling.maxReplicas', Infinity),
    bad({ autoscaling: { maxReplicas: 3, minReplicas: 0 } }, 'autoscaling.minReplicas', 0),
    bad({ autoscaling: { maxReplicas: 3, cpuUtilization: 1.5 } }, 'autoscaling.cpuUtilization', 1.5),
    bad({ autoscaling: { maxReplicas: 3 }, replicas: 2 }, 'replicas', 2),
  ],
  apiAccess: [
    bad({ apiAccess: [] }, 'apiAccess', []),
    bad({ apiAccess: {} }, 'apiAccess', {}),
    bad({ apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }] }, 'apiAccess', ['*']),
    bad({ apiAccess: [{ apiGroups: [''], resources: ['*'], verbs: ['get'] }] }, 'apiAccess', ['*']),
    bad({ apiAccess: [{ apiGroups: ['*'], resources: ['pods'], verbs: ['get'] }] }, 'apiAccess', ['*']),
    bad({ apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['bind'] }] }, 'apiAccess', ['bind']),
  ],
  loadBalancerSourceRanges: [
    ...['10.1.2.3/8', '300.0.0.0/8', '10.0.0.0/33', '', ' 10.0.0.0/8', 'ünï/8', NaN].map((r) => bad({ serviceType: 'LoadBalancer', loadBalancerSourceRanges: [r] }, 'loadBalancerSourceRanges', r)),
    bad({ serviceType: 'LoadBalancer', loadBalancerSourceRanges: [] }, 'loadBalancerSourceRanges', []),
    bad({ loadBalancerSourceRanges: ['10.0.0.0/8'] }, 'loadBalancerSourceRanges', ['10.0.0.0/8']),
  ],
  users: [
    ...['a b', '', 'ünï', 'admin', 5].map((n) => bad({ users: [{ name: n }] }, 'users', n)),
    bad({ users: [{ name: 'x', database: 'local' }] }, 'users', 'local'),
    bad({ users: 'x' }, 'users', 'x'),
  ],
  roles: [
    ...['Bad', '', 'pg_x', 'postgres', 'a'.repeat(64), 5].map((n) => bad({ roles: [{ name: n }] }, 'roles', n)),
    bad({ roles: [{ name: 'x', database: 'template0' }] }, 'roles', 'template0'),
    bad({ roles: 'x' }, 'roles', 'x'),
  ],
  namespace: scalar('namespace', 'kube-system', 'kube-public', 'default', 'UPPER', '', 'a'.repeat(64)),
  clusterRoleName: scalar('clusterRoleName', 'admin', 'edit', 'view', 'cluster-admin', 'system:node-drainer', '', 'UPPER'),
  namespaceName: scalar('name', 'kube-system', 'kube-node-lease', 'default', ...DNS_LABELS),
  podSecurity: scalar('podSecurity', 'bogus', '', 'Restricted'),
  diskType: scalar('diskType', 'pd-bogus', ''),
  reclaimPolicy: scalar('reclaimPolicy', 'Recycle', ''),
  size: scalar('size', ...NUMBERS),
  prefix: scalar('prefix', ...DNS_LABELS),
  member: [bad({ member: () => undefined }, 'member', undefined), bad({ member: 'GrpcService' }, 'member', 'GrpcService')],
};

const WORKLOAD = ['name', 'image', 'terminationGraceSeconds', 'runAsUser', 'partOf', 'labels', 'podAnnotations', 'resources', 'env', 'scheduling', 'apiAccess'];

/** One line per exported construct: how to make it with valid required props, and which props of BAD it takes. */
const SUBJECTS: [string, Make, string[]][] = [
  ['BlueGreenService', (s, id, p) => new BlueGreenService(s, id, { imageRepository: 'gcr.io/p/app', blueTag: '1.0', greenTag: '1.1', activeColor: Color.BLUE, ...p }), [...WORKLOAD.filter((k) => k !== 'image'), 'replicas', 'port', 'autoscaling']],
  ['GrpcService', (s, id, p) => new GrpcService(s, id, { image: 'gcr.io/p/app:1.0', ...p }), [...WORKLOAD, 'replicas', 'port', 'autoscaling', 'loadBalancerSourceRanges']],
  ['Microservice', (s, id, p) => new Microservice(s, id, { image: 'gcr.io/p/app:1.0', ...p }), [...WORKLOAD, 'replicas', 'port', 'autoscaling', 'loadBalancerSourceRanges']],
  ['MongoReplicaSet', (s, id, p) => new MongoReplicaSet(s, id, p), [...WORKLOAD, 'replicas', 'storageSize', 'users']],
  ['Postgres', (s, id, p) => new Postgres(s, id, p), [...WORKLOAD, 'replicas', 'storageSize', 'roles']],
  ['NodeDrainer', (s, id, p) => new NodeDrainer(s, id, p), [...WORKLOAD.filter((k) => k !== 'terminationGraceSeconds'), 'replicas', 'namespace', 'clusterRoleName']],
  ['LocustLoadTest', (s, id, p) => new LocustLoadTest(s, id, { image: 'locustio/locust:2.32.4', locustfile: 'from locust import User\n', ...p }), [...WORKLOAD, 'replicas']],
  ['SecureNamespace', (s, id, p) => new SecureNamespace(s, id, p), ['namespaceName', 'partOf', 'labels', 'podSecurity']],
  ['GkeStorageClass', (s, id, p) => new GkeStorageClass(s, id, p), ['subdomainName', 'partOf', 'diskType', 'reclaimPolicy']],
  ['FleetOf', (s, id, p) => new FleetOf(s, id, { size: 2, member: (m: Construct, mid: string) => new GrpcService(m, mid, { image: 'i:1' }), ...p }), ['size', 'prefix', 'labels', 'member']],
];

const cases = SUBJECTS.flatMap(([construct, make, keys]) => keys.flatMap((key) => {
  if (!BAD[key]) throw new Error(`no bad values for ${key}`);
  return BAD[key].map((b) => [construct, key, b.props, b, make] as const);
}));

function chart(): Chart {
  return new Chart(new App(), 'test', { namespace: 'team', disableResourceNameHashes: true });
}

describe('conformance: every construct, the same bad values', () => {
  test('every construct makes its objects with the valid props alone', () => {
    for (const [, make] of SUBJECTS) {
      const c = chart();
      make(c, 'subject', {});
      expect(c.toJson().length).toBeGreaterThan(0);
    }
  });

  test.each(cases)('%s %s %p', (_construct, _key, props, expected, make) => {
    let error: unknown;
    try {
      make(chart(), 'subject', props);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PropError);
    const e = error as PropError;
    expect(e.constructPath).toBe('test/subject');
    expect(e.message.startsWith('test/subject: ')).toBe(true);
    expect(e.prop.startsWith(expected.prop) || expected.prop.startsWith(e.prop)).toBe(true);
    const text = e.message.slice('test/subject: '.length);
    // the prop, the value as written, and what was expected
    expect(text).toContain(e.prop.split('.')[0]);
    expect(text).toContain(expected.shows === 'a function' ? 'undefined' : expected.shows);
    expect(text).not.toMatch(/\bnull\b/);
    expect(text).toMatch(/expected|is not (a|an|one of)|reserved|is empty|not supported|is root|out of range/);
  });

  test('the table covers every construct the package exports', () => {
    const exported = Object.entries(require('.'))
      .filter(([, v]) => typeof v === 'function' && (v as any).prototype instanceof Construct)
      .map(([k]) => k)
      .filter((k) => k !== 'Workload');
    expect(SUBJECTS.map(([n]) => n).sort()).toEqual(exported.sort());
  });

  test('PodSecurityLevel, ReclaimPolicy and GkeDiskType values are accepted as they are', () => {
    const c = chart();
    for (const level of Object.values(PodSecurityLevel)) new SecureNamespace(c, `ns-${level}`, { podSecurity: level });
    for (const p of Object.values(ReclaimPolicy)) for (const d of Object.values(GkeDiskType)) new GkeStorageClass(c, `sc-${p}-${d}`.toLowerCase(), { reclaimPolicy: p, diskType: d });
    // A Namespace and its default-deny NetworkPolicy each, and the StorageClasses.
    expect(c.toJson().length).toBe(3 * 2 + 2 * 4);
  });
});
