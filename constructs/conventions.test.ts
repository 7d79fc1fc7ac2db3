import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { PodSecurityLevel, SecureNamespace } from '.';
import { versionOfImage } from './labels';
import { clusterScoped } from './scope';
import { isDns1123Label, isQualifiedKey, isQuantity, quantityValue } from './validate';

describe('construct conventions', () => {
  test('versionOfImage takes a tag that fits a label value, and nothing else', () => {
    expect(versionOfImage('gcr.io/p/x:1.2.3')).toBe('1.2.3');
    expect(versionOfImage('localhost:5000/x')).toBeUndefined();
    expect(versionOfImage('localhost:5000/x:v2')).toBe('v2');
    expect(versionOfImage('x@sha256:abc')).toBeUndefined();
    expect(versionOfImage('x:' + 'a'.repeat(64))).toBeUndefined();
  });

  test('quantities and DNS labels', () => {
    for (const q of ['10Gi', '250m', '1', '1.5', '2e3', '512Ki']) expect(isQuantity(q)).toBe(true);
    for (const q of ['ten', '10GB', '', '1.2.3']) expect(isQuantity(q)).toBe(false);
    expect(isDns1123Label('service-000')).toBe(true);
    expect(isDns1123Label('-x')).toBe(false);
    expect(isDns1123Label('a'.repeat(64))).toBe(false);
  });

  test('quantity values compare across suffixes (request <= limit checks)', () => {
    expect(quantityValue('250m')).toBe(0.25);
    expect(quantityValue('1Gi')).toBe(2 ** 30);
    expect(quantityValue('1G')).toBe(1e9);
    expect(quantityValue('2e3')).toBe(2000);
    expect(quantityValue('1024Mi')).toBe(quantityValue('1Gi'));
    expect(quantityValue('lots')).toBeNaN();
  });

  test('qualified keys: an optional DNS-1123 prefix, then a name of at most 63 characters', () => {
    for (const k of ['app', 'cloud.google.com/gke-spot', 'app.kubernetes.io/name', 'a_b.c-d', 'x/' + 'n'.repeat(63)]) expect(isQualifiedKey(k)).toBe(true);
    for (const k of ['', '/x', 'Bad_Prefix/x', 'x/', '-x', 'x-', 'a/b/c', 'x/' + 'n'.repeat(64), 'with space']) expect(isQualifiedKey(k)).toBe(false);
  });

  test('clusterScoped removes the chart namespace from cluster-scoped objects only', () => {
    const nsChart = new (require('cdk8s').Chart)(Testing.app(), 'c', { namespace: 'team' });
    clusterScoped(new kplus.k8s.KubeClusterRole(nsChart, 'role', { metadata: { name: 'r' } }));
    new kplus.k8s.KubeServiceAccount(nsChart, 'sa', { metadata: { name: 'sa' } });
    const [role, sa] = Testing.synth(nsChart);
    expect(role.metadata.namespace).toBeUndefined();
    expect(sa.metadata.namespace).toBe('team');
  });

  test('SecureNamespace enforces restricted by default, pinned to v1.27, and audits and warns at restricted', () => {
    const chart = Testing.chart();
    new SecureNamespace(chart, 'team');
    new SecureNamespace(chart, 'nodes', { podSecurity: PodSecurityLevel.PRIVILEGED });
    const [team, , nodes] = Testing.synth(chart);
    expect(team.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.27',
      'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted',
      'app.kubernetes.io/managed-by': 'mega8s',
    });
    expect(nodes.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(nodes.metadata.labels['pod-security.kubernetes.io/warn']).toBe('restricted');
    expect(() => new SecureNamespace(chart, 'Bad_Name')).toThrow('test/Bad_Name: name "Bad_Name" is not a valid DNS-1123 label');
  });

  test('every SecureNamespace denies all ingress by default: a policy on every pod with no ingress rule', () => {
    const chart = new (require('cdk8s').Chart)(Testing.app(), 'c', { namespace: 'elsewhere' });
    const ns = new SecureNamespace(chart, 'team', { partOf: 'shop', labels: { team: 'a' } });
    const policies = Testing.synth(chart).filter((o) => o.kind === 'NetworkPolicy');
    expect(policies).toHaveLength(1);
    const [deny] = policies;
    expect(deny).toEqual(ns.defaultDenyIngress.toJson());
    // In the namespace it protects, whatever the chart's namespace.
    expect(deny.metadata).toMatchObject({ name: 'default-deny-ingress', namespace: 'team', labels: { team: 'a', 'app.kubernetes.io/part-of': 'shop' } });
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(deny.spec).not.toHaveProperty('ingress');
  });
});
