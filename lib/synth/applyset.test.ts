/**
 * Every environment's output is one ApplySet: the parent in dist/<env>/applyset.yaml lists every
 * kind and namespace of what `kubectl apply -k dist/<env>` applies, no object carries a label
 * kubectl manages, and a removed object's kind stays listed by the parent it was applied under.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { APPLYSET_PART_OF_LABEL, applySetId, resourceOf } from '../../constructs/checks';
import { loadEnvironment } from '../env';
import { synthEnvironment } from '.';
import { checkObjects, environmentApplySet } from './check';
import { buildEnvironment } from './build';
import { CHARTS } from '../charts';

const ROOT = path.join(__dirname, '..', '..');
const docs = (file: string) => parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJSON()).filter((d) => d);

describe.each(['dev', 'staging', 'prod'])('dist/%s', (env) => {
  const dir = path.join(ROOT, 'dist', env);
  const kustomization = docs(path.join(dir, 'kustomization.yaml'))[0];
  const members = (kustomization.resources as string[]).flatMap((f) => docs(path.join(dir, f)));
  const [parent] = docs(path.join(dir, 'applyset.yaml'));
  const [crd] = docs(path.join(dir, 'applyset-crd.yaml'));

  test('the parent and its definition are not in the kustomization (they must exist before a pruning apply)', () => {
    expect(kustomization.resources).not.toContain('applyset.yaml');
    expect(kustomization.resources).not.toContain('applyset-crd.yaml');
    expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
    expect(parent.apiVersion).toBe(`${crd.spec.group}/${crd.spec.versions[0].name}`);
  });

  test('the parent id is the one kubectl computes for it', () => {
    expect(parent.metadata.name).toBe(`mega8s-${env}`);
    expect(parent.metadata.labels['applyset.kubernetes.io/id']).toBe(applySetId(parent.metadata.name, '', parent.kind, crd.spec.group));
  });

  test('every applied object is covered by the parent, and none carries part-of', () => {
    const a = parent.metadata.annotations;
    const kinds = new Set(a['applyset.kubernetes.io/contains-group-kinds'].split(','));
    const resources = new Set(a['applyset.kubernetes.io/contains-group-resources'].split(','));
    const namespaces = new Set(a['applyset.kubernetes.io/additional-namespaces'].split(','));
    expect(members.length).toBeGreaterThan(10);
    for (const m of members) {
      const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : '';
      expect({ m: `${m.kind}/${m.metadata.name}`, kind: kinds.has(group ? `${m.kind}.${group}` : m.kind), resource: resources.has(group ? `${resourceOf(m.kind)}.${group}` : resourceOf(m.kind)) })
        .toEqual({ m: `${m.kind}/${m.metadata.name}`, kind: true, resource: true });
      if (m.metadata.namespace) expect(namespaces.has(m.metadata.namespace)).toBe(true);
      expect(m.metadata.labels?.[APPLYSET_PART_OF_LABEL]).toBeUndefined();
    }
    // Cluster-scoped members are in the set too: kubectl prunes them by kind, across the cluster.
    expect(members.some((m) => !m.metadata.namespace)).toBe(true);
  });

  test('summary.md gives the pruning command with the --applyset form', () => {
    expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8'))
      .toContain(`KUBECTL_APPLYSET=true kubectl apply -k dist/${env} --prune --applyset=applysets.mega8s.io/mega8s-${env}`);
  });
});

describe('the synth refuses an object outside the set', () => {
  test('an object carrying applyset.kubernetes.io/part-of fails the check, naming object and construct path', () => {
    const env = loadEnvironment(path.join(ROOT, 'envs', 'dev.env'));
    const objects = buildEnvironment(env, CHARTS).flatMap((c) => c.objects);
    const victim = objects.find((o) => o.manifest.kind === 'Service')!;
    const tampered = objects.map((o) => (o === victim
      ? { ...o, manifest: { ...o.manifest, metadata: { ...o.manifest.metadata, labels: { ...o.manifest.metadata.labels, [APPLYSET_PART_OF_LABEL]: 'x' } } } }
      : o));
    const problems = checkObjects(env, tampered).filter((p) => p.rule === 'applyset');
    expect(problems).toHaveLength(1);
    expect(problems[0].object?.path).toBe(victim.path);
    expect(problems[0].message).toContain('kubectl apply --applyset refuses input that already has it');
  });

  test('a removed chart: the new parent no longer lists its kinds, which is why the parent is created once and never re-applied', () => {
    const env = loadEnvironment(path.join(ROOT, 'envs', 'dev.env'));
    const all = buildEnvironment(env, CHARTS).flatMap((c) => c.objects);
    const without = all.filter((o) => o.chart !== 'preemptible');
    const before = environmentApplySet(env, all).parent.metadata.annotations!['applyset.kubernetes.io/contains-group-kinds'];
    const after = environmentApplySet(env, without).parent.metadata.annotations!['applyset.kubernetes.io/contains-group-kinds'];
    expect(before).toContain('ClusterRole.rbac.authorization.k8s.io');
    expect(after).not.toContain('ClusterRole.rbac.authorization.k8s.io');
    expect(synthEnvironment(env).files.get('applyset.yaml')).toContain('ClusterRole.rbac.authorization.k8s.io');
  });
});
