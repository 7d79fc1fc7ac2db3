import { SynthObject } from './objects';
import {
  APPLYSET_GROUP_KINDS, APPLYSET_GROUP_RESOURCES, APPLYSET_ID_LABEL, APPLYSET_NAMESPACES, APPLYSET_PART_OF_LABEL,
  APPLYSET_TOOLING, applySetFor, applySetId, applySetProblems, resourceOf,
} from './applyset';

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, labels?: Record<string, string>): SynthObject => ({
  chart: 'c', path: `c/${name}`, manifest: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) } },
});

const OUTPUT: SynthObject[] = [
  obj('v1', 'Namespace', 'team'),
  obj('apps/v1', 'Deployment', 'web', 'team'),
  obj('v1', 'Service', 'web', 'team'),
  obj('networking.k8s.io/v1', 'NetworkPolicy', 'deny', 'other'),
  obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'),
  obj('storage.k8s.io/v1', 'StorageClass', 'fast'),
];

describe('applyset id', () => {
  test('base64url (unpadded) of sha256 of <name>.<namespace>.<kind>.<group>, as kubectl computes it', () => {
    // Values computed independently: python3 base64.urlsafe_b64encode(hashlib.sha256(b'...').digest()).rstrip(b'=').
    expect(applySetId('my-set', 'team', 'Secret', '')).toBe('applyset-TbwyHr8lpbwMP-rekDKfK8q5frpO97v86876rPhXKkM-v1');
    expect(applySetId('mega8s-prod', '', 'ApplySet', 'mega8s.io')).toBe('applyset-amYWgPL41sf6mPEzu_OIejybAUrCV0N8Es6FyOglvRY-v1');
  });

  test('a label value: at most 63 characters, alphanumeric at both ends', () => {
    const id = applySetId('x', '', 'ApplySet', 'mega8s.io');
    expect(id.length).toBeLessThanOrEqual(63);
    expect(id).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
  });
});

describe('resourceOf', () => {
  test.each([
    ['Deployment', 'deployments'], ['NetworkPolicy', 'networkpolicies'], ['StorageClass', 'storageclasses'],
    ['Ingress', 'ingresses'], ['Endpoints', 'endpoints'], ['PodDisruptionBudget', 'poddisruptionbudgets'],
    ['HorizontalPodAutoscaler', 'horizontalpodautoscalers'], ['ConfigMap', 'configmaps'], ['Gateway', 'gateways'],
  ])('%s -> %s', (kind, resource) => expect(resourceOf(kind)).toBe(resource));
});

describe('applySetFor', () => {
  const set = applySetFor('mega8s-dev', OUTPUT);

  test('a cluster-scoped custom resource parent whose definition is marked as a parent type', () => {
    expect(set.flag).toBe('applysets.mega8s.io/mega8s-dev');
    expect(set.parent.metadata.namespace).toBeUndefined();
    expect(set.parent.metadata.labels?.[APPLYSET_ID_LABEL]).toBe(applySetId('mega8s-dev', '', 'ApplySet', 'mega8s.io'));
    expect(set.definition.spec.scope).toBe('Cluster');
    expect(set.definition.metadata.labels?.['applyset.kubernetes.io/is-parent-type']).toBe('true');
    expect(set.definition.metadata.name).toBe('applysets.mega8s.io');
  });

  test('the parent lists every kind (both annotation forms) and every namespace, sorted, and names kubectl as its tool', () => {
    const a = set.parent.metadata.annotations!;
    expect(a[APPLYSET_TOOLING]).toBe('kubectl/v1.27');
    expect(a[APPLYSET_GROUP_KINDS]).toBe('ClusterRole.rbac.authorization.k8s.io,Deployment.apps,Namespace,NetworkPolicy.networking.k8s.io,Service,StorageClass.storage.k8s.io');
    expect(a[APPLYSET_GROUP_RESOURCES]).toBe('clusterroles.rbac.authorization.k8s.io,deployments.apps,namespaces,networkpolicies.networking.k8s.io,services,storageclasses.storage.k8s.io');
    expect(a[APPLYSET_NAMESPACES]).toBe('other,team');
  });

  test('refuses a name that is not a DNS-1123 label', () => {
    expect(() => applySetFor('Mega8s_Dev', OUTPUT)).toThrow('applyset: name "Mega8s_Dev" is not a DNS-1123 label');
  });
});

describe('applySetProblems', () => {
  test('an output and its own set: no problem', () => {
    expect(applySetProblems(OUTPUT, applySetFor('s', OUTPUT))).toEqual([]);
  });

  test('an object carrying the part-of label kubectl sets itself', () => {
    const tagged = obj('v1', 'ConfigMap', 'cfg', 'team', { [APPLYSET_PART_OF_LABEL]: 'applyset-x-v1' });
    const problems = applySetProblems([...OUTPUT, tagged], applySetFor('s', [...OUTPUT, tagged]));
    expect(problems).toEqual([{ object: tagged, message: expect.stringContaining(`carries label ${APPLYSET_PART_OF_LABEL}, which kubectl sets itself`) }]);
  });

  test('objects outside the set: a kind and a namespace the parent does not list', () => {
    const set = applySetFor('s', OUTPUT);
    const role = obj('rbac.authorization.k8s.io/v1', 'Role', 'r', 'team');
    const elsewhere = obj('v1', 'Service', 'x', 'nowhere');
    const problems = applySetProblems([...OUTPUT, role, elsewhere], set);
    expect(problems.map((p) => [p.object?.path, p.message.replace(/:.*/, '')])).toEqual([
      ['c/r', 'is not in applyset s'],
      ['c/x', 'is not in applyset s'],
    ]);
    expect(problems[0].message).toContain('its kind Role.rbac.authorization.k8s.io is missing');
    expect(problems[1].message).toContain('its namespace nowhere is missing');
  });

  test('a parent whose id label does not match its name, kind and group', () => {
    const set = applySetFor('s', OUTPUT);
    const renamed = { ...set, parent: { ...set.parent, metadata: { ...set.parent.metadata, name: 't' } } };
    expect(applySetProblems(OUTPUT, renamed)).toEqual([{ message: expect.stringContaining(`label ${APPLYSET_ID_LABEL} is "${set.id}", expected ${applySetId('t', '', 'ApplySet', 'mega8s.io')}`) }]);
  });
});
