import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { GrpcService, SecureNamespace } from '..';
import { appObjects, checkApp } from './app';
import { CheckRule, formatProblem } from './check';

/** A pod that passes every check but the ones a test breaks, as a plain cdk8s ApiObject. */
function pod(chart: Chart, id: string, change: (spec: any) => void = () => {}): ApiObject {
  const spec: any = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{
      name: 'main', image: 'gcr.io/p/api:1',
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '64Mi' } },
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    }],
  };
  change(spec);
  return new ApiObject(chart, id, { apiVersion: 'v1', kind: 'Pod', metadata: { name: id }, spec });
}

function team(app: App = Testing.app(), id = 'team'): Chart {
  const chart = new Chart(app, id, { namespace: 'team', disableResourceNameHashes: true });
  new SecureNamespace(chart, 'ns', { name: 'team' });
  return chart;
}

describe('checkApp', () => {
  test('a correct app has no problems', () => {
    const chart = team();
    new GrpcService(chart, 'api', { image: 'gcr.io/p/api:1', replicas: 2 }).allowFrom({ app: 'client' });
    pod(chart, 'ok');
    expect(checkApp(chart.node.root)).toEqual([]);
  });

  test('two GrpcServices named dup, an image tagged latest, runAsUser 0 next to runAsNonRoot: every problem, with object and construct path', () => {
    const chart = team();
    new GrpcService(chart, 'a', { image: 'gcr.io/p/api:1', name: 'dup' });
    new GrpcService(chart, 'b', { image: 'gcr.io/p/api:1', name: 'dup' });
    pod(chart, 'latest', (s) => { s.containers[0].image = 'r/api:latest'; });
    pod(chart, 'root', (s) => { s.securityContext.runAsUser = 0; });
    const problems = checkApp(chart.node.root);
    const out = problems.map(formatProblem);
    expect(out).toContain('Deployment team/dup (team/b/Deployment): has the same group/kind/namespace/name as the object made at team/a/Deployment');
    expect(out).toContain('Service team/dup (team/b/Service): has the same group/kind/namespace/name as the object made at team/a/Service');
    expect(out).toContain('Pod team/latest (team/latest): container main image "r/api:latest" is not pinned to a tag or digest (latest is not a pin)');
    expect(out).toContain('Pod team/root (team/root): pod security "restricted" (enforced on namespace team): runAsUser is 0');
    const root = problems.find((p) => p.message.endsWith('runAsUser is 0'))!;
    expect(root.rule).toBe(CheckRule.POD_SECURITY);
    expect(root.object?.manifest.metadata.name).toBe('root');
  });

  test('objects of every chart are checked together: the namespace of one chart serves the other, a duplicate across charts is found', () => {
    const app = Testing.app();
    const first = team(app, 'first');
    const second = new Chart(app, 'second', { namespace: 'team', disableResourceNameHashes: true });
    pod(first, 'same');
    pod(second, 'same');
    expect(appObjects(app).map((o) => `${o.chart} ${o.path}`)).toEqual(['first first/ns/Resource', 'first first/ns/DefaultDenyIngress', 'first first/same', 'second second/same']);
    expect(checkApp(app).map(formatProblem)).toEqual(['Pod team/same (second/same): has the same group/kind/namespace/name as the object made at first/same']);
  });

  test('failed construct validations are problems too, before the object checks', () => {
    const chart = team();
    chart.node.addValidation({ validate: () => ['the chart is not finished'] });
    pod(chart, 'latest', (s) => { s.containers[0].image = 'r/api:latest'; });
    const problems = checkApp(chart.node.root);
    expect(problems.map((p) => [p.rule, p.message.split(':')[0]])).toEqual([[CheckRule.CONSTRUCT, 'team'], [CheckRule.IMAGE, 'container main image "r/api']]);
    expect(problems[0].message).toBe('team: the chart is not finished');
  });

  test('options: quotas with the default names, storage classes of the cluster', () => {
    const chart = team();
    pod(chart, 'p');
    new ApiObject(chart, 'claim', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '30Gi' } } } });
    expect(checkApp(chart, { quotas: { diskGb: 10 } }).map(formatProblem)).toEqual([
      'PersistentVolumeClaim team/claim (team/claim): uses StorageClass fast, which is neither in the output nor a default storage class of the cluster (standard, standard-rwo, premium-rwo)',
      'quota diskGb exceeded: the output needs 30 GB of persistent disk, the limit is 10; biggest consumers: PersistentVolumeClaim team/claim (30)',
    ]);
    expect(checkApp(chart, { quotas: { diskGb: 30 }, defaultStorageClasses: ['fast'] })).toEqual([]);
  });

  test.each([
    [{ quotas: { cpus: NaN } }, 'checkApp: quotas.cpus NaN is not a finite number >= 0'],
    [{ quotas: { cpus: -1 } }, 'checkApp: quotas.cpus -1 is not a finite number >= 0'],
    [{ quotas: { cpus: '4' } }, 'checkApp: quotas.cpus "4" is not a finite number >= 0'],
    [{ quotas: { gpus: 1 } }, 'checkApp: quotas.gpus is not a quota: expected one of forwardingRules, targetPools, firewalls, cpus, diskGb'],
    [{ quotaNames: { cpus: ' ' } }, 'checkApp: quotaNames.cpus " " is not a non-empty string'],
    [{ quotaSource: '' }, 'checkApp: quotaSource "" is not a non-empty string'],
    [{ defaultStorageClasses: 'standard' }, 'checkApp: defaultStorageClasses "standard" is not a list of storage class names'],
    [{ quota: {} }, 'checkApp: unknown option "quota": expected one of quotas, quotaSource, quotaNames, defaultStorageClasses'],
  ])('bad options are refused: %p', (options, message) => {
    expect(() => checkApp(team(), options as any)).toThrow(message);
  });
});
