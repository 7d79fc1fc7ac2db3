import * as fs from 'fs';
import * as path from 'path';
import type { SynthObject } from '../../constructs/checks';
import { FLEET_THRESHOLD, topologyOf, topologySvg } from './topology';

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
});
