import { ApiObject, App, Chart, JsonPatch, Lazy, ResolutionContext, Testing } from 'cdk8s';
import {
  FleetOf, GkeStorageClass, GrpcService, Microservice, MongoReplicaSet, NodeDrainer, Postgres, SecureNamespace, ServiceType,
} from '.';
import { PlainApiObject } from './plain-api-object';

/** What cdk8s itself renders for an ApiObject (its resolver walk, sanitize, patches). */
const cdk8sToJson = (o: ApiObject) => ApiObject.prototype.toJson.call(o);
/** The same bytes (key order included) as cdk8s's own rendering. */
const expectAsCdk8s = (o: ApiObject) => expect(JSON.stringify(o.toJson())).toBe(JSON.stringify(cdk8sToJson(o)));

function plainObjects(chart: Chart): PlainApiObject[] {
  return chart.node.findAll().filter((c): c is PlainApiObject => c instanceof PlainApiObject);
}

describe('PlainApiObject', () => {
  test('renders exactly what cdk8s renders, for every GrpcService configuration', () => {
    const chart = Testing.chart();
    new GrpcService(chart, 'a', { image: 'i:1' });
    new GrpcService(chart, 'b', {
      image: 'i:1', replicas: 3, serviceType: ServiceType.HEADLESS, env: [{ name: 'A', value: '1' }], command: ['x'], args: ['y'],
      endpoints: { service: 'e.endpoints.p.cloud.goog' }, podAnnotations: { 'mega8s.io/config-hash': 'abc' },
      resources: { limits: { cpu: '2' } }, labels: { team: 'x' },
    });
    new FleetOf(chart, 'f', { size: 3, labels: { grpc: 'true' }, member: (s, id) => new GrpcService(s, id, { image: 'i:1', serviceType: ServiceType.LOAD_BALANCER }) });
    const objects = plainObjects(chart);
    // Deployment, Service and NetworkPolicy each; b adds a PDB.
    expect(objects.length).toBe(3 + 4 + 9);
    for (const o of objects) expectAsCdk8s(o);
  });

  test('metadata changes made after construction (labels, annotations) are rendered', () => {
    const chart = Testing.chart();
    const svc = new GrpcService(chart, 'a', { image: 'i:1' });
    svc.service.metadata.addLabel('late', 'yes');
    svc.service.metadata.addAnnotation('note', 'x');
    expect(svc.service.toJson().metadata.labels.late).toBe('yes');
    expect(svc.service.toJson().metadata.annotations).toEqual({ note: 'x' });
    expectAsCdk8s(svc.service);
  });

  test('metadata is read as cdk8s reads it: finalizers, owners, extra fields, empty lists and maps dropped', () => {
    const chart = Testing.chart();
    const o = new PlainApiObject(chart, 'o', {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'c', labels: {}, annotations: { z: '1', a: '2' }, finalizers: [], generateName: 'c-', extra: { nested: {}, list: [] } } as any,
      data: { a: '1' },
    });
    expectAsCdk8s(o);
    o.metadata.addFinalizers('example.com/keep');
    o.metadata.addOwnerReference({ apiVersion: 'v1', kind: 'Namespace', name: 'n', uid: 'u' });
    o.metadata.add('later', { b: 1, a: undefined });
    o.metadata.addLabel('z', 'last');
    o.metadata.addLabel('a', 'first');
    expectAsCdk8s(o);
    const meta = o.toJson().metadata;
    expect(Object.keys(meta)).toEqual(['annotations', 'finalizers', 'generateName', 'labels', 'later', 'name', 'ownerReferences']);
    expect(meta.extra).toBeUndefined();
    expect(meta.later).toEqual({ b: 1 });
  });

  test('a Lazy in the body is produced as cdk8s produces it: nested, null, or in metadata', () => {
    const chart = Testing.chart();
    let calls = 0;
    const o = new PlainApiObject(chart, 'o', {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'c', labels: { when: Lazy.any({ produce: () => 'late' }) as any } },
      data: {
        outer: Lazy.any({ produce: () => { calls++; return { z: Lazy.any({ produce: () => 'inner' }), a: null }; } }),
        gone: Lazy.any({ produce: () => undefined }),
      },
    });
    expectAsCdk8s(o);
    const json = o.toJson();
    expect(json.data).toEqual({ outer: { z: 'inner' } });
    expect(json.metadata.labels.when).toBe('late');
    // Produced once per render, as cdk8s does: ours twice, cdk8s's once.
    expect(calls).toBe(3);
  });

  test('JSON patches apply, as cdk8s applies them', () => {
    const chart = Testing.chart();
    const svc = new GrpcService(chart, 'a', { image: 'i:1' });
    svc.deployment.addJsonPatch(JsonPatch.replace('/spec/replicas', 5), JsonPatch.add('/spec/paused', true));
    expect(svc.deployment.toJson().spec.replicas).toBe(5);
    expect(svc.deployment.toJson().spec.paused).toBe(true);
    expect(svc.deployment.toJson()).toEqual(cdk8sToJson(svc.deployment));
  });

  test('keys come out sorted, apiVersion/kind/metadata first, null and undefined dropped', () => {
    const chart = Testing.chart();
    const o = new PlainApiObject(chart, 'o', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c' }, data: { z: '1', a: '2', n: undefined }, immutable: null } as any);
    const json = o.toJson();
    expect(Object.keys(json)).toEqual(['apiVersion', 'kind', 'metadata', 'data']);
    expect(Object.keys(json.data)).toEqual(['a', 'z']);
    expect(json).toEqual(cdk8sToJson(o));
  });

  test('a value that is not plain JSON (a Lazy) takes cdk8s\'s own path and is resolved', () => {
    const chart = Testing.chart();
    const o = new PlainApiObject(chart, 'o', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { when: Lazy.any({ produce: () => 'later' }) } });
    expect(o.toJson().data.when).toBe('later');
  });

  test('an app with a custom resolver takes cdk8s\'s own path, so the resolver sees every value', () => {
    const app = new App({ resolvers: [{ resolve: (ctx: ResolutionContext) => { if (ctx.value === 'i:1') ctx.replaceValue('mirror/i:1'); } }] });
    const chart = new Chart(app, 'c');
    const svc = new GrpcService(chart, 'a', { image: 'i:1' });
    expect(svc.deployment.toJson().spec.template.spec.containers[0].image).toBe('mirror/i:1');
  });

  test('with CDK8S_DISABLE_SORT set, keys keep their written order, exactly as cdk8s keeps them', () => {
    const saved = process.env.CDK8S_DISABLE_SORT;
    process.env.CDK8S_DISABLE_SORT = '1';
    try {
      const chart = Testing.chart();
      const svc = new GrpcService(chart, 'a', { image: 'i:1', autoscaling: { maxReplicas: 3 } });
      svc.deployment.addJsonPatch(JsonPatch.add('/spec/paused', true));
      for (const o of plainObjects(chart)) {
        expect(JSON.stringify(o.toJson())).toBe(JSON.stringify(cdk8sToJson(o)));
      }
      expect(Object.keys(svc.deployment.toJson().spec)[0]).toBe('revisionHistoryLimit');
    } finally {
      if (saved === undefined) delete process.env.CDK8S_DISABLE_SORT; else process.env.CDK8S_DISABLE_SORT = saved;
    }
  });

  test('a failing JSON patch is reported as cdk8s reports it, with the construct path', () => {
    const chart = Testing.chart();
    const svc = new GrpcService(chart, 'a', { image: 'i:1' });
    svc.service.addJsonPatch(JsonPatch.test('/spec/type', 'NodePort'));
    const ours = (() => { try { svc.service.toJson(); } catch (e: any) { return e.message; } })();
    const theirs = (() => { try { cdk8sToJson(svc.service); } catch (e: any) { return e.message; } })();
    expect(ours).toContain("Failed serializing construct at path 'test/a/Service'");
    expect(ours).toBe(theirs);
  });

  test('keys sort in cdk8s\'s order (UTF-16 code units) whether written in order, reversed or mixed', () => {
    const chart = Testing.chart();
    const sorted = { '10': 'a', '9': 'b', B: 'c', a: 'd', 'a.b/c': 'e', ab: 'f', é: 'g' };
    const reversed = Object.fromEntries(Object.entries(sorted).reverse());
    const o = new PlainApiObject(chart, 'o', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: reversed }, data: sorted, binaryData: reversed } as any);
    const json = o.toJson();
    // (Integer-like keys always come first, in numeric order: JavaScript objects keep them so.)
    expect(Object.keys(json.data)).toEqual(['9', '10', 'B', 'a', 'a.b/c', 'ab', 'é']);
    expect(Object.keys(json.binaryData)).toEqual(Object.keys(json.data));
    expect(Object.keys(json.metadata.labels)).toEqual(Object.keys(json.data));
    expectAsCdk8s(o);
  });

  test('an object with its own `constructor` key takes cdk8s\'s own path, and fails as cdk8s fails (wrapped once)', () => {
    const chart = Testing.chart();
    const o = new PlainApiObject(chart, 'o', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { constructor: 'x' } } as any);
    const ours = (() => { try { o.toJson(); } catch (e: any) { return e.message; } })();
    const theirs = (() => { try { cdk8sToJson(o); } catch (e: any) { return e.message; } })();
    expect(theirs).toMatch(/^Failed serializing construct at path 'test\/o'/);
    expect(ours).toBe(theirs);
  });

  test('with a `resolve` function on Object.prototype, every object takes cdk8s\'s own path', () => {
    const chart = Testing.chart();
    const svc = new GrpcService(chart, 'a', { image: 'i:1' });
    const expected = JSON.stringify(cdk8sToJson(svc.deployment));
    (Object.prototype as any).resolve = function resolve() { return undefined; };
    try {
      const ours = (() => { try { return JSON.stringify(svc.deployment.toJson()); } catch (e: any) { return e.message; } })();
      const theirs = (() => { try { return JSON.stringify(cdk8sToJson(svc.deployment)); } catch (e: any) { return e.message; } })();
      expect(ours).toBe(theirs);
    } finally {
      delete (Object.prototype as any).resolve;
    }
    expect(JSON.stringify(svc.deployment.toJson())).toBe(expected);
  });

  /** Every construct of the library, in the configurations that add objects (HPA, PDB, sidecar, ...). */
  function everything(): Chart {
    const chart = new Chart(new App(), 'all', { namespace: 'team', disableResourceNameHashes: true });
    new SecureNamespace(chart, 'team');
    new GkeStorageClass(chart, 'fast', { regional: true });
    new GrpcService(chart, 'g', { image: 'i:1', autoscaling: { maxReplicas: 4, behavior: { scaleUpStabilizationSeconds: 30 } }, endpoints: { service: 'e.endpoints.p.cloud.goog' } });
    new FleetOf(chart, 'f', { size: 2, member: (s, id) => new GrpcService(s, id, { image: 'i:1', replicas: 2 }) });
    new Microservice(chart, 'm', { image: 'i:1', replicas: 2, env: [{ name: 'A', value: '1' }] });
    const mongo = new MongoReplicaSet(chart, 'mongo', { storageClassName: 'fast', createStorageClass: false });
    mongo.allowFrom({ app: 'x' }, 'other');
    const pg = new Postgres(chart, 'pg');
    pg.allowFrom({ app: 'y' });
    new NodeDrainer(chart, 'drainer');
    return chart;
  }
  const KINDS = ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet', 'Deployment', 'HorizontalPodAutoscaler', 'Namespace',
    'NetworkPolicy', 'PodDisruptionBudget', 'ResourceQuota', 'Service', 'ServiceAccount', 'StatefulSet', 'StorageClass'];

  test.each([['sorted', undefined], ['CDK8S_DISABLE_SORT', '1']])('every kind mega8s emits renders as cdk8s renders it (%s), JSON patches included', (_mode, disableSort) => {
    const saved = process.env.CDK8S_DISABLE_SORT;
    if (disableSort) process.env.CDK8S_DISABLE_SORT = disableSort; else delete process.env.CDK8S_DISABLE_SORT;
    try {
      const objects = everything().node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
      expect([...new Set(objects.map((o) => o.kind))].sort()).toEqual(KINDS);
      // One object model: everything mega8s makes is rendered the same way.
      for (const o of objects) expect(o).toBeInstanceOf(PlainApiObject);
      for (const o of objects) expect(JSON.stringify(o.toJson())).toBe(JSON.stringify(cdk8sToJson(o)));
      for (const o of objects) {
        o.addJsonPatch(JsonPatch.add('/metadata/annotations', { patched: 'yes' }), JsonPatch.add('/zzz', [1, { b: 2, a: 1 }]));
        const json = o.toJson();
        expect(json.metadata.annotations).toEqual({ patched: 'yes' });
        expect(JSON.stringify(json)).toBe(JSON.stringify(cdk8sToJson(o)));
      }
    } finally {
      if (saved === undefined) delete process.env.CDK8S_DISABLE_SORT; else process.env.CDK8S_DISABLE_SORT = saved;
    }
  });
});

test('the metadata fields the fast path reads are exactly those of this cdk8s (another shape takes cdk8s\'s own path)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { metadataFieldsKnown } = require('./plain-api-object');
  expect(metadataFieldsKnown()).toBe(true);
  jest.isolateModules(() => {
    jest.doMock('cdk8s', () => {
      const real = jest.requireActual('cdk8s');
      class LaterMetadata extends real.ApiObjectMetadataDefinition {
        public readonly uidHint = 'x';
      }
      return { ...real, ApiObjectMetadataDefinition: LaterMetadata };
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require('./plain-api-object').metadataFieldsKnown()).toBe(false);
  });
  jest.dontMock('cdk8s');
});
