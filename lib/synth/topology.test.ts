import * as fs from 'fs';
import * as path from 'path';
import type { SynthObject } from '../../constructs/checks';
import { LabelSelector, Manifest, podTemplateOf, selects } from '../../constructs/checks/objects';
import { CHARTS } from '../charts';
import { loadEnvironment } from '../env';
import { buildEnvironment } from './build';
import { FLEET_THRESHOLD, ManifestIndex, topologyOf, topologySvg } from './topology';

const o = (manifest: any): SynthObject => ({ chart: 'c', path: `c/${manifest.kind}/${manifest.metadata.name}`, manifest });
const labels = (name: string, instance: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': instance });
const deploy = (name: string, app: string, extra: any = {}) => o({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'team', labels: labels(app, name) },
  spec: { selector: { matchLabels: labels(app, name) }, template: { metadata: { labels: labels(app, name) }, spec: { containers: [{ name: 'x', image: 'i:1' }], ...extra } } },
});
const svc = (name: string, app: string, type = 'ClusterIP') => o({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'team', labels: labels(app, name) }, spec: { type, selector: labels(app, name) } });

const OBJECTS: SynthObject[] = [
  o({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }),
  ...Array.from({ length: 5 }, (_, i) => [deploy(`w-${i}`, 'whoami'), svc(`w-${i}`, 'whoami', 'LoadBalancer')]).flat(),
  deploy('api', 'api', { serviceAccountName: 'api', volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] }),
  svc('api', 'api'),
  deploy('web', 'web'),
  o({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'team' }, spec: {} }),
  o({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'team' } }),
  o({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'team' }, rules: [] }),
  o({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'api-reader', namespace: 'team' }, roleRef: { kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'api' }] }),
  o({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'api', namespace: 'team' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'api' } } }),
  o({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'api', namespace: 'team' }, spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } }] }] } }),
];

describe('topology', () => {
  const t = topologyOf(OBJECTS);
  const edge = (kind: string) => t.edges.filter((e) => e.kind === kind).map((e) => `${e.from} -> ${e.to}`);

  test(`a fleet (more than ${FLEET_THRESHOLD} of one app) is one node with its count`, () => {
    expect(t.nodes.filter((n) => n.count > 1).map((n) => [n.id, n.label])).toEqual([
      ['fleet-Deployment-team-whoami', 'whoami ×5'],
      ['fleet-Service-team-whoami-LoadBalancer', 'whoami ×5 (LoadBalancer)'],
    ]);
    expect(edge('selects')).toEqual(['Service-team-api -> Deployment-team-api', 'fleet-Service-team-whoami-LoadBalancer -> fleet-Deployment-team-whoami']);
  });

  test('claims, service accounts, RBAC bindings, autoscalers and network policy edges', () => {
    expect(edge('claims')).toEqual(['Deployment-team-api -> PersistentVolumeClaim-team-data']);
    expect(edge('runs-as')).toEqual(['Deployment-team-api -> ServiceAccount-team-api']);
    expect(edge('binds')).toEqual(['ServiceAccount-team-api -> Role-team-reader']);
    expect(edge('scales')).toEqual(['HorizontalPodAutoscaler-team-api -> Deployment-team-api']);
    expect(edge('allows')).toEqual(['Deployment-team-web -> Deployment-team-api']);
    expect(t.namespaces).toEqual(['team']);
  });

  describe('network policy edges', () => {
    const ns = (name: string, extra: Record<string, string> = {}) => o({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: extra } });
    const inNs = (namespace: string, x: SynthObject): SynthObject => ({ ...x, manifest: { ...x.manifest, metadata: { ...x.manifest.metadata, namespace } } });
    const policy = (namespace: string, name: string, app: string, ingress: any[]) => o({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': app } }, policyTypes: ['Ingress'], ingress },
    });
    const worker = inNs('load', deploy('worker', 'locust'));
    const fleet = Array.from({ length: 5 }, (_, i) => deploy(`w-${i}`, 'whoami'));
    const allows = (objects: SynthObject[]) => topologyOf(objects).edges.filter((e) => e.kind === 'allows').map((e) => `${e.from} -> ${e.to}`);
    const byName = (namespace: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } });

    test('across namespaces: the namespaceSelector picks the namespace, the podSelector the workloads there, a fleet is one target', () => {
      const objects = [ns('team'), ns('load'), worker, inNs('load', deploy('other', 'other')), ...fleet,
        ...fleet.map((_, i) => policy('team', `w-${i}`, 'whoami', [{ from: [{ ...byName('load'), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'locust' } } }] }]))];
      expect(allows(objects)).toEqual(['Deployment-load-worker -> fleet-Deployment-team-whoami']);
    });

    test('the namespace is matched by its own labels too; a namespaceSelector alone admits every pod there', () => {
      const objects = [ns('team'), ns('load', { tier: 'tools' }), ns('empty'), worker, inNs('load', deploy('other', 'other')), deploy('api', 'api'),
        policy('team', 'api', 'api', [{ from: [{ namespaceSelector: { matchLabels: { tier: 'tools' } } }] }])];
      expect(allows(objects)).toEqual(['Deployment-load-other -> Deployment-team-api', 'Deployment-load-worker -> Deployment-team-api']);
    });

    test('a podSelector without a namespaceSelector stays in the policy\'s namespace', () => {
      const objects = [ns('team'), ns('load'), worker, deploy('locust', 'locust'), deploy('api', 'api'),
        policy('team', 'api', 'api', [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'locust' } } }] }])];
      expect(allows(objects)).toEqual(['Deployment-team-locust -> Deployment-team-api']);
    });

    test('a namespace outside the output (kube-system) or one that does not match draws nothing', () => {
      const objects = [ns('team'), ns('load'), worker, deploy('api', 'api'),
        policy('team', 'api', 'api', [{ from: [{ ...byName('kube-system'), podSelector: {} }, { ...byName('elsewhere') }] }])];
      expect(allows(objects)).toEqual([]);
    });

    test('a rule with no `from` (or an empty one) admits anywhere: one outside node, not every pod', () => {
      const objects = [ns('team'), deploy('web', 'web'), deploy('ui', 'ui'), deploy('api', 'api'),
        policy('team', 'web', 'web', [{ ports: [{ port: 8080, protocol: 'TCP' }] }]),
        policy('team', 'ui', 'ui', [{ from: [], ports: [{ port: 8080, protocol: 'TCP' }] }])];
      const t = topologyOf(objects);
      expect(t.nodes.filter((n) => n.kind === 'Outside')).toEqual([{ id: 'outside-anywhere', kind: 'Outside', label: 'anywhere', count: 1 }]);
      expect(allows(objects)).toEqual(['outside-anywhere -> Deployment-team-ui', 'outside-anywhere -> Deployment-team-web']);
    });

    test('ipBlocks: one outside node per rule labelled with its CIDRs (and exceptions); 0.0.0.0/0 is anywhere', () => {
      const ipBlocks = (...cidrs: any[]) => cidrs.map((c) => ({ ipBlock: typeof c === 'string' ? { cidr: c } : c }));
      const objects = [ns('team'), ...fleet, deploy('api', 'api'), deploy('web', 'web'),
        ...fleet.map((_, i) => policy('team', `w-${i}`, 'whoami', [{ from: ipBlocks('203.0.113.0/24', '10.0.0.0/8') }])),
        policy('team', 'api', 'api', [{ from: ipBlocks({ cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }) }, { from: ipBlocks('0.0.0.0/0') }]),
        policy('team', 'web', 'web', [{ from: [...ipBlocks('192.0.2.0/24'), { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api' } } }] }])];
      const t = topologyOf(objects);
      expect(t.nodes.filter((n) => n.kind === 'Outside').map((n) => [n.id, n.label])).toEqual([
        ['outside-10-0-0-0-8-except-10-1-0-0-16', '10.0.0.0/8 except 10.1.0.0/16'],
        ['outside-10-0-0-0-8_203-0-113-0-24', '10.0.0.0/8, 203.0.113.0/24'],
        ['outside-192-0-2-0-24', '192.0.2.0/24'],
        ['outside-anywhere', 'anywhere'],
      ]);
      expect(allows(objects)).toEqual([
        'Deployment-team-api -> Deployment-team-web',
        'outside-10-0-0-0-8-except-10-1-0-0-16 -> Deployment-team-api',
        'outside-10-0-0-0-8_203-0-113-0-24 -> fleet-Deployment-team-whoami',
        'outside-192-0-2-0-24 -> Deployment-team-web',
        'outside-anywhere -> Deployment-team-api',
      ]);
      const svg = topologySvg(objects, 'dev');
      expect(topologySvg([...objects].reverse(), 'dev')).toBe(svg);
      expect(svg).toContain('<g class="node" id="outside-anywhere" data-kind="Outside" data-count="1">');
      expect(svg).toContain('data-from="outside-10-0-0-0-8_203-0-113-0-24" data-to="fleet-Deployment-team-whoami" data-kind="allows"');
      expect(svg).not.toMatch(/NaN|undefined/);
    });
  });

  test('the SVG: deterministic bytes, one group per node and edge, namespaces as boxes', () => {
    const svg = topologySvg(OBJECTS, 'dev');
    expect(topologySvg(OBJECTS, 'dev')).toBe(svg);
    expect(svg.match(/class="node"/g)).toHaveLength(t.nodes.length);
    expect(svg.match(/class="edge"/g)).toHaveLength(t.edges.length);
    expect(svg).toContain('<g class="namespace" id="ns-team">');
    expect(svg).not.toMatch(/NaN|undefined/);
  });

  test('dist/<env>/summary.md links the picture and gives quota use per chart', () => {
    const summary = fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'prod', 'summary.md'), 'utf8');
    expect(summary).toContain('](topology.svg)');
    expect(summary).toMatch(/### Quota use per chart\n\n\| chart \| QUOTA_FORWARDING_RULES/);
    expect(summary).toMatch(/\n\| fourhundred \| 401 \| 401 \| 401 \|/);
  });

  describe('the index answers exactly what a scan of every object answers', () => {
    const tricky: SynthObject[] = [
      ...OBJECTS,
      // the same name in another namespace, twice in one (the first counts), and without a namespace
      o({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'other' } }),
      o({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'team', labels: { second: 'yes' } } }),
      o({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api' } }),
      o({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'team' } }),
      // a ClusterRole and Roles of one name
      o({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'view', namespace: 'other' }, rules: [] }),
      o({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'view' }, rules: [] }),
      o({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'view', namespace: 'team' }, rules: [] }),
      // pods without labels, in another namespace, without a namespace, with labels of other values
      o({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: 'team' }, spec: { template: { spec: {} } } }),
      { ...deploy('api', 'api'), manifest: { ...deploy('api', 'api').manifest, metadata: { name: 'api', namespace: 'other' } } },
      { ...deploy('loose', 'api'), manifest: { ...deploy('loose', 'api').manifest, metadata: { name: 'loose' } } },
      deploy('api-canary', 'api', {}),
    ];
    const dev = buildEnvironment(loadEnvironment(path.join('envs', 'dev.env'), path.join(__dirname, '..', '..')), CHARTS).flatMap((c) => c.objects);

    test.each([['tricky objects', tricky], ['dev', dev]])('%s', (_, objects) => {
      const manifests = objects.map((x) => x.manifest);
      const index = new ManifestIndex(manifests);
      const pods = manifests.flatMap((m) => (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(m.kind) && podTemplateOf(m) ? [m] : []));
      expect(index.pods.map((p) => p.m)).toEqual(pods);

      const kinds = [...new Set(manifests.map((m) => m.kind)), undefined, 'Nothing'];
      const namespaces = [...new Set(manifests.map((m) => m.metadata?.namespace)), undefined, '', 'nowhere'];
      const names = [...new Set(manifests.map((m) => m.metadata?.name)), undefined, 'nothing'];
      const scan = (pred: (m: Manifest) => boolean) => manifests.find(pred);
      let asked = 0;
      for (const kind of kinds) {
        for (const name of names) {
          expect(index.firstInAnyNamespace(kind, name)).toBe(scan((m) => m.kind === kind && m.metadata?.name === name));
          for (const ns of namespaces) {
            expect(index.first(kind, ns, name)).toBe(scan((m) => m.kind === kind && m.metadata?.namespace === ns && m.metadata?.name === name));
            asked++;
          }
        }
      }
      expect(asked).toBeGreaterThan(100);

      const selectors: (LabelSelector | undefined)[] = [undefined, {}, { matchLabels: {} }, { matchLabels: { 'app.kubernetes.io/name': 'nothing' } },
        { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['api', 'web'] }] },
        { matchLabels: { 'app.kubernetes.io/name': 'api' }, matchExpressions: [{ key: 'app.kubernetes.io/instance', operator: 'NotIn', values: ['api'] }] },
        ...manifests.flatMap((m) => [m.spec?.selector?.matchLabels ? m.spec.selector : m.spec?.selector && { matchLabels: m.spec.selector }, m.spec?.podSelector,
          ...(m.spec?.ingress ?? []).flatMap((r: any) => (r.from ?? []).map((p: any) => p.podSelector))]).filter((x) => x)];
      for (const sel of selectors) {
        for (const ns of namespaces) {
          const expected = index.pods.filter((p) => p.m.metadata?.namespace === ns && selects(sel, p.tpl.labels));
          expect(index.podsSelected(ns, sel)).toEqual(expected);
        }
      }
    });
  });
});
