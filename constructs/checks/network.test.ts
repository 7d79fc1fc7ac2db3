import { NetworkCheckObject, isDefaultDenyIngress, networkProblems } from './network';

const obj = (manifest: any, path = `c/${manifest.kind}`): NetworkCheckObject => ({ path, manifest });
const namespace = (name: string) => obj({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const deny = (ns: string, spec: any = { podSelector: {}, policyTypes: ['Ingress'] }) =>
  obj({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: ns }, spec });
const policy = (ns: string, podSelector: any, ingress: any[], extra: any = {}) =>
  obj({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: ns }, spec: { podSelector, policyTypes: ['Ingress'], ingress, ...extra } });
const deployment = (ns: string, labels: Record<string, string>, ports: any[] | undefined, spec: any = {}) => obj({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: ns },
  spec: { template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i:1', ...(ports ? { ports } : {}) }], ...spec } } },
});
const GRPC = [{ name: 'grpc', containerPort: 10000, protocol: 'TCP' }];
const messages = (objects: NetworkCheckObject[]) => networkProblems(objects).map((p) => `${p.object?.path}: ${p.message}`);

describe('network checks', () => {
  test('a namespace with a default-deny policy and a workload admitted on its port: no problem', () => {
    expect(messages([
      namespace('team'), deny('team'), deployment('team', { app: 'api' }, GRPC),
      policy('team', { matchLabels: { app: 'api' } }, [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 10000 }] }]),
    ])).toEqual([]);
  });

  test('a namespace without a default-deny ingress policy is a problem naming the namespace object', () => {
    const problems = networkProblems([namespace('team')]);
    expect(problems).toHaveLength(1);
    expect(problems[0].object?.manifest.kind).toBe('Namespace');
    expect(problems[0].message).toContain('has no default-deny ingress NetworkPolicy');
    expect(problems[0].message).toContain('namespace team');
  });

  test.each([
    ['a policy in another namespace', deny('other')],
    ['a policy selecting some pods only', deny('team', { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Ingress'] })],
    ['a policy with matchExpressions', deny('team', { podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] }, policyTypes: ['Ingress'] })],
    ['an egress-only policy', deny('team', { podSelector: {}, policyTypes: ['Egress'] })],
    ['a policy that admits something', deny('team', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] })],
  ])('not a default deny: %s', (_, p) => {
    expect(messages([namespace('team'), p])).toEqual([expect.stringContaining('c/Namespace: has no default-deny ingress NetworkPolicy')]);
  });

  test('policyTypes left out means Ingress; an empty ingress list admits nothing', () => {
    expect(isDefaultDenyIngress(deny('team', { podSelector: {} }).manifest)).toBe(true);
    expect(isDefaultDenyIngress(deny('team', { podSelector: {}, ingress: [] }).manifest)).toBe(true);
    expect(isDefaultDenyIngress(namespace('team').manifest)).toBe(false);
  });

  test('a workload with ports that no policy admits traffic to is a problem naming its ports', () => {
    const out = messages([namespace('team'), deny('team'), deployment('team', { app: 'api' }, [...GRPC, { containerPort: 53, protocol: 'UDP' }])]);
    expect(out).toEqual(['c/Deployment: its pods listen on 10000/TCP, 53/UDP but no NetworkPolicy in namespace team admits traffic to them: name the clients (allowFrom) or expose the port with a NetworkPolicy']);
  });

  test.each([
    ['its policy has no ingress rule', policy('team', { matchLabels: { app: 'api' } }, [])],
    ['the policy selects other pods', policy('team', { matchLabels: { app: 'db' } }, [{ ports: [{ port: 10000 }] }])],
    ['the policy is in another namespace', policy('other', { matchLabels: { app: 'api' } }, [{ ports: [{ port: 10000 }] }])],
    ['the rule is for another port', policy('team', { matchLabels: { app: 'api' } }, [{ ports: [{ protocol: 'TCP', port: 10001 }] }])],
    ['the rule is for another protocol', policy('team', { matchLabels: { app: 'api' } }, [{ ports: [{ protocol: 'UDP', port: 10000 }] }])],
    ['the rule names another port', policy('team', { matchLabels: { app: 'api' } }, [{ ports: [{ port: 'http' }] }])],
    ['the range ends below the port', policy('team', { matchLabels: { app: 'api' } }, [{ ports: [{ port: 9000, endPort: 9999 }] }])],
    ['the policy is egress only', policy('team', { matchLabels: { app: 'api' } }, [{ ports: [{ port: 10000 }] }], { policyTypes: ['Egress'] })],
  ])('not admitted: %s', (_, p) => {
    expect(messages([deployment('team', { app: 'api' }, GRPC), p])).toEqual([expect.stringContaining('c/Deployment: its pods listen on 10000/TCP but no NetworkPolicy')]);
  });

  test.each([
    ['by number', [{ ports: [{ protocol: 'TCP', port: 10000 }] }]],
    ['by name', [{ ports: [{ port: 'grpc' }] }]],
    ['by a range', [{ ports: [{ port: 9000, endPort: 10000 }] }]],
    ['a rule without ports (every port)', [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }]],
    ['a rule without from (every source)', [{ ports: [{ port: 10000 }] }]],
    ['a protocol-only entry', [{ ports: [{ protocol: 'TCP' }] }]],
  ])('admitted %s', (_, ingress) => {
    expect(messages([deployment('team', { app: 'api' }, GRPC), policy('team', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] }, ingress)])).toEqual([]);
  });

  test('workloads without ports, on the host network, or that are not workloads need no policy', () => {
    expect(messages([
      deployment('team', { app: 'drainer' }, undefined),
      deployment('team', { app: 'host' }, GRPC, { hostNetwork: true }),
      obj({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'team' }, spec: { ports: [{ port: 80 }] } }),
    ])).toEqual([]);
  });

  test('every workload kind is looked at, CronJobs and Pods included', () => {
    const cron = obj({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'team' }, spec: { jobTemplate: { spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ ports: GRPC }] } } } } } });
    const pod = obj({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team', labels: { a: 'c' } }, spec: { containers: [{ ports: GRPC }] } });
    expect(networkProblems([cron, pod]).map((p) => p.object?.manifest.kind)).toEqual(['CronJob', 'Pod']);
  });

  test('policies are found by the label fewest policies match on, whatever order their selector lists labels in', () => {
    const admit = [{ ports: [{ protocol: 'TCP', port: 10000 }] }];
    const objects: NetworkCheckObject[] = [namespace('team'), deny('team')];
    for (let i = 0; i < 20; i++) {
      const labels = { app: 'shared', tier: i % 2 ? 'odd' : 'even', instance: `i-${i}` };
      objects.push(obj({ ...deployment('team', labels, GRPC).manifest, metadata: { name: `w-${i}`, namespace: 'team' } }, `c/w-${i}`));
      // The shared labels come first; the last workload's policy asks for a label it lacks.
      if (i < 19) objects.push(policy('team', { matchLabels: { app: 'shared', tier: labels.tier, instance: labels.instance } }, admit));
      else objects.push(policy('team', { matchLabels: { app: 'shared', tier: 'none', instance: labels.instance } }, admit));
    }
    // A policy matching on a shared label only admits every workload carrying it.
    expect(messages(objects)).toEqual([expect.stringMatching(/^c\/w-19: its pods listen on 10000\/TCP but no NetworkPolicy/)]);
    expect(messages([...objects, policy('team', { matchLabels: { tier: 'odd', app: 'shared' } }, admit)])).toEqual([]);
  });
});
