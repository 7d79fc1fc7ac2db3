import { ApiObject, Chart, DependencyGraph, Testing } from 'cdk8s';
import { GrpcService, SecureNamespace } from '../../constructs';
import { chartObjects, orderedApiObjects } from './build';

const cdk8sOrder = (chart: Chart) => new DependencyGraph(chart.node).topology()
  .filter((x): x is ApiObject => x instanceof ApiObject && Chart.of(x) === chart);

describe('chart object order', () => {
  test('without dependencies: the construct pre-order, which is what cdk8s\'s dependency graph gives', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'team' });
    new SecureNamespace(chart, 'ns', { name: 'team' });
    for (const id of ['b', 'a', 'c']) new GrpcService(chart, id, { image: 'i:1', replicas: 2 });
    const ours = orderedApiObjects(chart);
    expect(ours.map((o) => o.node.path)).toEqual(cdk8sOrder(chart).map((o) => o.node.path));
    expect(ours.map((o) => `${o.kind}/${o.name}`).slice(0, 4)).toEqual(['Namespace/team', 'NetworkPolicy/default-deny-ingress', 'Deployment/b', 'Service/b']);
  });

  test('with dependencies: cdk8s\'s topology, dependencies first', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'team' });
    const first = new GrpcService(chart, 'first', { image: 'i:1' });
    const ns = new SecureNamespace(chart, 'ns', { name: 'team' });
    first.deployment.addDependency(ns.namespace);
    const ours = orderedApiObjects(chart);
    expect(ours).toEqual(cdk8sOrder(chart));
    expect(ours.indexOf(ns.namespace)).toBeLessThan(ours.indexOf(first.deployment));
  });

  test('objects of a nested chart belong to that chart only', () => {
    const outer = new Chart(Testing.app(), 'outer', { namespace: 'team' });
    new GrpcService(outer, 'a', { image: 'i:1' });
    const inner = new Chart(outer, 'inner', { namespace: 'team' });
    new GrpcService(inner, 'b', { image: 'i:1' });
    expect(chartObjects('outer', outer).map((o) => o.manifest.metadata.name)).toEqual(['a', 'a', 'a']);
  });

  test('a failing construct validation stops the build with the construct path', () => {
    const chart = Testing.chart();
    const svc = new GrpcService(chart, 'a', { image: 'i:1' });
    svc.node.addValidation({ validate: () => ['replicas must be even'] });
    expect(() => chartObjects('c', chart)).toThrow('test/a: replicas must be even');
  });
});
