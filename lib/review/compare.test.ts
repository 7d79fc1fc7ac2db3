import { MASK, ReviewObject, compare, fieldChanges, maskSecrets } from './compare';
import { MARKDOWN_LIMIT, formatDiff } from './format';

const o = (chart: string, path: string, manifest: any, env = 'dev'): ReviewObject => ({ env, chart, path, manifest });
const deployment = (name: string, extra: any = {}) => o('fleet', `fleet/${name}/Deployment`, {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'team' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { 'app.kubernetes.io/name': 'whoami', 'app.kubernetes.io/instance': name } },
    template: { metadata: { labels: { 'app.kubernetes.io/name': 'whoami', 'app.kubernetes.io/instance': name } }, spec: { containers: [{ name: 'server', image: 'r/whoami:1.0.0', env: [{ name: 'PORT', value: '80' }] }] } },
    ...extra,
  },
});
const service = (name: string, selector: Record<string, string>, type = 'ClusterIP') => o('fleet', `fleet/${name}/Service`, {
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'team' }, spec: { type, selector, ports: [{ name: 'grpc', port: 80 }] },
});
const role = (verbs: string[], resources = ['pods']) => o('ops', 'ops/drainer/Role', {
  apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'drainer', namespace: 'ops' },
  rules: [{ apiGroups: [''], resources, verbs }],
});
const FLEET = [deployment('service-000'), service('service-000', { 'app.kubernetes.io/instance': 'service-000' }), deployment('service-001'), service('service-001', { 'app.kubernetes.io/instance': 'service-001' })];

describe('compare', () => {
  test('no change: nothing changed, no risk, and the formats say so', () => {
    const diff = compare(FLEET, JSON.parse(JSON.stringify(FLEET)));
    expect(diff).toEqual({ changes: [], risks: [], loadBalancerDelta: {} });
    expect(formatDiff(diff, 'text', 'main')).toBe('no changes against main\n');
    expect(formatDiff(diff, 'markdown', 'main')).toContain('No changes.');
  });

  test('an added fleet member: two added objects, and its LoadBalancer counted against the quota', () => {
    const head = [...FLEET, deployment('service-002'), service('service-002', { 'app.kubernetes.io/instance': 'service-002' }, 'LoadBalancer')];
    const diff = compare(FLEET, head);
    expect(diff.changes.map((c) => `${c.kind} ${c.object}`)).toEqual(['added Deployment team/service-002', 'added Service team/service-002']);
    expect(diff.changes[1].path).toBe('fleet/service-002/Service');
    expect(diff.risks.map((r) => r.kind)).toEqual(['new-load-balancer']);
    expect(diff.loadBalancerDelta).toEqual({ dev: 1 });
  });

  test('a flipped blue/green Service selector is a change, not a risk', () => {
    const blue = service('todo', { 'app.kubernetes.io/name': 'todo', 'mega8s.io/color': 'blue' });
    const green = service('todo', { 'app.kubernetes.io/name': 'todo', 'mega8s.io/color': 'green' });
    const diff = compare([blue], [green]);
    expect(diff.changes).toEqual([expect.objectContaining({ kind: 'changed', object: 'Service team/todo', fields: [{ field: 'spec.selector["mega8s.io/color"]', old: 'blue', new: 'green' }] })]);
    expect(diff.risks).toEqual([]);
  });

  test('a changed Deployment selector is a risk: immutable, naming object and construct path', () => {
    const changed = deployment('service-000', { selector: { matchLabels: { 'app.kubernetes.io/name': 'whoami', tier: 'x' } } });
    const diff = compare([deployment('service-000')], [changed]);
    expect(diff.risks).toEqual([expect.objectContaining({ kind: 'immutable-field', object: 'Deployment team/service-000', path: 'fleet/service-000/Deployment' })]);
    expect(diff.risks[0].message).toContain('spec.selector changed');
  });

  test('a widened Role: the new verbs are named', () => {
    const diff = compare([role(['get', 'list'])], [role(['get', 'list', 'delete'], ['pods', 'pods/eviction'])]);
    expect(diff.risks.map((r) => [r.kind, r.object])).toEqual([['rbac-widened', 'Role ops/drainer']]);
    expect(diff.risks[0].message).toBe('now also grants delete pods, get pods/eviction, list pods/eviction, delete pods/eviction');
    expect(compare([role(['get', 'list'])], [role(['get'])]).risks).toEqual([]);
  });

  test('a wildcard is called out', () => {
    expect(compare([role(['get'])], [role(['*'])]).risks[0].message).toContain('(wildcard)');
  });

  test('a removed construct: its objects are removed, each a risk that needs pruning', () => {
    const diff = compare(FLEET, FLEET.slice(0, 2));
    expect(diff.changes.map((c) => `${c.kind} ${c.object}`)).toEqual(['removed Deployment team/service-001', 'removed Service team/service-001']);
    expect(diff.risks.map((r) => [r.kind, r.path])).toEqual([['removed', 'fleet/service-001/Deployment'], ['removed', 'fleet/service-001/Service']]);
    expect(diff.risks[0].message).toContain('--prune --applyset');
  });

  test('a renamed object: same content, new name', () => {
    const cm = (name: string) => o('c', `c/${name}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'team' }, data: { a: '1' } });
    const diff = compare([cm('old')], [cm('new')]);
    expect(diff.changes).toEqual([expect.objectContaining({ kind: 'renamed', object: 'ConfigMap team/new', from: { object: 'ConfigMap team/old', path: 'c/old' } })]);
  });

  test('image change old -> new, and list items matched by name', () => {
    const next = deployment('service-000');
    next.manifest.spec.template.spec.containers = [{ name: 'sidecar', image: 's:1' }, { name: 'server', image: 'r/whoami:1.1.0', env: [{ name: 'PORT', value: '80' }] }];
    const diff = compare([deployment('service-000')], [next]);
    expect(diff.changes[0].fields).toEqual([
      { field: 'spec.template.spec.containers[name=server].image', old: 'r/whoami:1.0.0', new: 'r/whoami:1.1.0' },
      { field: 'spec.template.spec.containers[name=sidecar]', new: { name: 'sidecar', image: 's:1' } },
    ]);
    expect(diff.risks.map((r) => r.message)).toEqual(['container server: r/whoami:1.0.0 -> r/whoami:1.1.0']);
  });

  test('replicas appearing under an HPA, Pod Security lowered, NetworkPolicy loosened', () => {
    const hpa = o('fleet', 'fleet/hpa', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'team' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'service-000' } } });
    const noReplicas = deployment('service-000');
    delete noReplicas.manifest.spec.replicas;
    const ns = (level: string) => o('fleet', 'fleet/ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { 'pod-security.kubernetes.io/enforce': level } } });
    const np = (ingress: any[]) => o('fleet', 'fleet/np', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'team' }, spec: { podSelector: {}, policyTypes: ['Ingress'], ingress } });
    const diff = compare([hpa, noReplicas, ns('restricted'), np([{ from: [{ podSelector: {} }] }])], [hpa, deployment('service-000'), ns('baseline'), np([{ from: [{ podSelector: {} }] }, {}])]);
    expect(diff.risks.map((r) => r.kind)).toEqual(['replicas-under-hpa', 'pod-security-weakened', 'network-policy-loosened']);
    expect(diff.risks[2].message).toContain('one with no from (any peer)');
  });

  test('secret-like values are masked', () => {
    const secret = (v: string) => o('c', 'c/s', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'team' }, data: { password: v } });
    const diff = compare([secret('YQ==')], [secret('Yg==')]);
    expect(diff.changes[0].fields).toEqual([{ field: 'data.password', old: MASK, new: MASK }]);
    const withEnv = (v: string) => { const d = deployment('service-000'); d.manifest.spec.template.spec.containers[0].env.push({ name: 'DB_PASSWORD', value: v }); return d; };
    expect(maskSecrets(withEnv('hunter2').manifest).spec.template.spec.containers[0].env[1].value).toBe(MASK);
    const envDiff = compare([withEnv('a')], [withEnv('b')]);
    expect(envDiff.changes[0].fields).toEqual([{ field: 'spec.template.spec.containers[name=server].env[name=DB_PASSWORD].value', old: MASK, new: MASK }]);
    expect(compare([deployment('service-000')], [withEnv('hunter2')]).changes[0].fields).toEqual([{ field: 'spec.template.spec.containers[name=server].env[name=DB_PASSWORD]', new: { name: 'DB_PASSWORD', value: MASK } }]);
  });

  test('markdown: summary table, risks, a collapsed section per chart', () => {
    const md = formatDiff(compare(FLEET, FLEET.slice(0, 2)), 'markdown', 'main');
    expect(md).toContain('| dev | fleet | 0 | 2 | 0 | 0 |');
    expect(md.indexOf('#### Risks')).toBeLessThan(md.indexOf('<details>'));
    expect(md).toContain('<summary>dev / fleet: 2 object(s)</summary>');
  });
});

describe('fieldChanges', () => {
  test('paths with old and new values; removed and added keys', () => {
    expect(fieldChanges({ a: { b: 1, c: 2 } }, { a: { b: 2, d: 3 } })).toEqual([
      { field: 'a.b', old: 1, new: 2 }, { field: 'a.c', old: 2 }, { field: 'a.d', new: 3 },
    ]);
  });
});

describe('markdown size', () => {
  test('a 400-member change fits a pull request comment, saying what it left out', () => {
    const many = Array.from({ length: 400 }, (_, i) => deployment(`service-${String(i).padStart(3, '0')}`));
    const next = many.map((d) => { const c = JSON.parse(JSON.stringify(d)); c.manifest.spec.template.spec.containers[0].image = 'r/whoami:2.0.0'; return c; });
    const md = formatDiff(compare(many, next), 'markdown', 'main');
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toMatch(/… \d+ more line\(s\): run `npm run diff -- --env dev` for all of them/);
    expect(md).toContain('| dev | fleet | 0 | 0 | 400 | 0 |');
    expect(md.match(/^- \*\*image-changed\*\*/gm)).toHaveLength(25);
    expect(md).toContain('- … and 375 more **image-changed** risks');
  });
});
