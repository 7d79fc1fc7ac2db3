import { App, Testing } from 'cdk8s';
import { Environment, loadEnvironment, loadEnvironments } from '../env';
import { chartObjects } from '../synth/build';
import { checkObjects } from '../synth/check';
import { toYamlDocuments } from '../synth/yaml';
import { PREEMPTIBLE_SETTINGS, PreemptibleChart, preemptibleChart } from './preemptible';

const dev = loadEnvironment('envs/dev.env');

function synth(env: Environment = dev) {
  const chart = preemptibleChart.build(new App(), env) as PreemptibleChart;
  const objects: any[] = Testing.synth(chart);
  const find = (kind: string, name: string) => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const drainerEnv = (name: string) => find('DaemonSet', 'node-drainer').spec.template.spec.containers[0].env.find((e: any) => e.name === name).value;
  return { chart, objects, find, drainerEnv, members: find('StatefulSet', 'mongo').spec.template.spec };
}

describe('preemptible chart', () => {
  test('is named preemptible: the stateful service in restricted namespace preemptible, the drainer in restricted namespace node-drainer', () => {
    expect(preemptibleChart.name).toBe('preemptible');
    const { find, objects } = synth();
    for (const name of ['preemptible', 'node-drainer']) {
      expect(find('Namespace', name).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    }
    const namespaced = objects.filter((o) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind));
    expect(namespaced.filter((o) => o.metadata.namespace === 'node-drainer').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'NetworkPolicy/default-deny-ingress', 'ServiceAccount/drain-user', 'ResourceQuota/node-drainer-critical-pods', 'ConfigMap/node-drainer-script', 'DaemonSet/node-drainer',
    ]);
    expect(namespaced.filter((o) => o.metadata.namespace !== 'node-drainer').every((o) => o.metadata.namespace === 'preemptible')).toBe(true);
    expect(find('StatefulSet', 'mongo').metadata.namespace).toBe('preemptible');
  });

  test('the drainer: least-privilege RBAC bound to drain-user, on every preemptible and spot node', () => {
    const { find } = synth();
    expect(find('ClusterRoleBinding', 'node-drainer').subjects).toEqual([{ kind: 'ServiceAccount', name: 'drain-user', namespace: 'node-drainer' }]);
    expect(find('ClusterRole', 'node-drainer').rules).toHaveLength(3);
    const terms = find('DaemonSet', 'node-drainer').spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms.map((t: any) => t.matchExpressions[0].key)).toEqual(['cloud.google.com/gke-preemptible', 'cloud.google.com/gke-spot']);
  });

  test.each([
    ['dev', 'spot', 'cloud.google.com/gke-spot'],
    ['prod', 'preemptible', 'cloud.google.com/gke-preemptible'],
  ])('%s (%s nodes): the replica set runs only on nodes labelled %s and tolerates their taint', (envName, kind, label) => {
    const env = loadEnvironment(`envs/${envName}.env`);
    expect(PREEMPTIBLE_SETTINGS.of(env).nodeKind).toBe(kind);
    const { members, chart } = synth(env);
    expect(chart.nodeLabel).toBe(label);
    expect(members.affinity.nodeAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: label, operator: 'In', values: ['true'] }] }] },
    });
    expect(members.tolerations).toEqual([{ key: label, operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
    // Never the drainer's own taint: a preempted node takes no new member.
    expect(JSON.stringify(members.tolerations)).not.toContain('mega8s.io/preempted');
    // One member a node, so one preemption costs at most one member.
    expect(members.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
  });

  test('a PodDisruptionBudget lets a drain evict one member at a time', () => {
    const { find } = synth();
    const pdb = find('PodDisruptionBudget', 'mongo');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: find('StatefulSet', 'mongo').spec.selector });
  });

  test('the members\' termination grace and mongod\'s SIGTERM quiesce fit inside the drain budget', () => {
    const { members, drainerEnv } = synth();
    const drainGrace = Number(drainerEnv('DRAIN_GRACE_SECONDS'));
    const drainTimeout = Number(drainerEnv('DRAIN_TIMEOUT_SECONDS'));
    expect([drainGrace, drainTimeout]).toEqual([15, 25]);
    expect(members.terminationGracePeriodSeconds).toBe(15);
    expect(members.terminationGracePeriodSeconds).toBeLessThanOrEqual(drainGrace);
    expect(members.terminationGracePeriodSeconds).toBeLessThan(drainTimeout);
    const mongod = members.containers[0];
    expect(mongod.name).toBe('mongod');
    expect(mongod.args.slice(-2)).toEqual(['--setParameter', 'shutdownTimeoutMillisForSignaledShutdown=10000']);
    expect(mongod.args.filter((a: string) => a === '--setParameter')).toHaveLength(1);
  });

  test('every environment\'s output passes every synth check', () => {
    for (const env of loadEnvironments('envs')) {
      const objects = chartObjects('preemptible', preemptibleChart.build(new App(), env));
      expect(checkObjects(env, objects).map((p) => `${env.name}: ${p.message}`)).toEqual([]);
    }
  });

  test('snapshot (dev, YAML)', () => {
    expect(toYamlDocuments(chartObjects('preemptible', preemptibleChart.build(new App(), dev)).map((o) => o.manifest))).toMatchSnapshot();
  });
});
