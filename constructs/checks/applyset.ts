/**
 * ApplySets (KEP-3659, alpha in kubectl 1.27): the parent object that lets
 * `KUBECTL_APPLYSET=true kubectl apply --prune --applyset=<parent>` delete the objects a synth no
 * longer makes, cluster-scoped ones included, and the check that an output fits its set.
 *
 * What kubectl 1.27 accepts, and so what this module writes:
 * - the parent's id label is `applyset-<base64url(sha256(<name>.<namespace>.<kind>.<group>))>-v1`
 *   (unpadded URL-safe base64);
 * - an output whose objects span several namespaces needs a cluster-scoped parent (a namespaced
 *   parent needs `--namespace`, which kubectl then enforces on every object), and a cluster-scoped
 *   parent can only be a custom resource whose CustomResourceDefinition carries the label
 *   `applyset.kubernetes.io/is-parent-type: "true"`; kubectl does not create such a parent itself,
 *   so it is created once, before the first pruning apply;
 * - an existing parent must carry `applyset.kubernetes.io/tooling: kubectl/<version>` and the list
 *   of kinds it contains (1.27 reads `contains-group-resources`, 1.28+ `contains-group-kinds`);
 * - kubectl adds `applyset.kubernetes.io/part-of` to every object it applies and refuses input
 *   that already carries it ("ApplySet label ... already set in input data"): members must not.
 */
import { createHash } from 'crypto';
import { CLUSTER_SCOPED, Manifest, SynthObject, describe, groupOf } from './objects';

export const APPLYSET_ID_LABEL = 'applyset.kubernetes.io/id';
export const APPLYSET_PART_OF_LABEL = 'applyset.kubernetes.io/part-of';
export const APPLYSET_TOOLING = 'applyset.kubernetes.io/tooling';
export const APPLYSET_GROUP_KINDS = 'applyset.kubernetes.io/contains-group-kinds';
export const APPLYSET_GROUP_RESOURCES = 'applyset.kubernetes.io/contains-group-resources';
export const APPLYSET_NAMESPACES = 'applyset.kubernetes.io/additional-namespaces';
export const APPLYSET_PARENT_TYPE_LABEL = 'applyset.kubernetes.io/is-parent-type';

/** The custom resource mega8s uses as the cluster-scoped ApplySet parent. */
export const APPLYSET_PARENT_GROUP = 'mega8s.io';
export const APPLYSET_PARENT_KIND = 'ApplySet';
export const APPLYSET_PARENT_PLURAL = 'applysets';
export const APPLYSET_PARENT_VERSION = 'v1alpha1';
/** What the parent says manages it: kubectl checks only the part before the last `/`. */
export const APPLYSET_TOOLING_VALUE = 'kubectl/v1.27';

/** The ApplySet id of a parent object: the value of its id label and of its members' part-of label. */
export function applySetId(name: string, namespace: string, kind: string, group: string): string {
  const hash = createHash('sha256').update([name, namespace, kind, group].join('.')).digest('base64url');
  return `applyset-${hash}-v1`;
}

const resources = new Map<string, string>();

/** The API resource (plural, lowercase) of a kind, as `contains-group-resources` names it. */
export function resourceOf(kind: string): string {
  let resource = resources.get(kind);
  if (resource === undefined) {
    resource = pluralOf(kind);
    if (resources.size < 1000) resources.set(kind, resource);
  }
  return resource;
}

function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (k === 'endpoints') return k;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

const qualify = (name: string, group: string) => (group ? `${name}.${group}` : name);
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export interface ApplySet {
  readonly id: string;
  /** The `--applyset` flag value: `applysets.mega8s.io/<name>`. */
  readonly flag: string;
  /** The CustomResourceDefinition of the parent kind (the same for every set). */
  readonly definition: Manifest;
  /** The parent object, carrying what kubectl expects of an existing parent. */
  readonly parent: Manifest;
}

/** The ApplySet parent (and its kind's definition) for one output. */
export function applySetFor(name: string, objects: readonly SynthObject[]): ApplySet {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
    throw new Error(`applyset: name ${JSON.stringify(name)} is not a DNS-1123 label: expected lowercase letters, digits and '-', at most 63 characters`);
  }
  const id = applySetId(name, '', APPLYSET_PARENT_KIND, APPLYSET_PARENT_GROUP);
  const manifests = objects.map((o) => o.manifest);
  const groupKinds = sorted(manifests.map((m) => qualify(m.kind, groupOf(m.apiVersion))));
  const groupResources = sorted(manifests.map((m) => qualify(resourceOf(m.kind), groupOf(m.apiVersion))));
  const namespaces = sorted(manifests.flatMap((m) => (m.metadata?.namespace ? [m.metadata.namespace] : [])));
  const definition: Manifest = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${APPLYSET_PARENT_PLURAL}.${APPLYSET_PARENT_GROUP}`,
      labels: { [APPLYSET_PARENT_TYPE_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'mega8s' },
    },
    spec: {
      group: APPLYSET_PARENT_GROUP,
      names: { kind: APPLYSET_PARENT_KIND, listKind: `${APPLYSET_PARENT_KIND}List`, plural: APPLYSET_PARENT_PLURAL, singular: APPLYSET_PARENT_KIND.toLowerCase() },
      scope: 'Cluster',
      versions: [{ name: APPLYSET_PARENT_VERSION, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', description: 'The parent of a kubectl ApplySet: its labels and annotations list what the set contains.' } } }],
    },
  };
  const parent: Manifest = {
    apiVersion: `${APPLYSET_PARENT_GROUP}/${APPLYSET_PARENT_VERSION}`,
    kind: APPLYSET_PARENT_KIND,
    metadata: {
      name,
      labels: { [APPLYSET_ID_LABEL]: id, 'app.kubernetes.io/managed-by': 'mega8s' },
      annotations: {
        [APPLYSET_TOOLING]: APPLYSET_TOOLING_VALUE,
        [APPLYSET_GROUP_KINDS]: groupKinds.join(','),
        [APPLYSET_GROUP_RESOURCES]: groupResources.join(','),
        [APPLYSET_NAMESPACES]: namespaces.join(','),
      },
    },
  };
  return { id, flag: `${APPLYSET_PARENT_PLURAL}.${APPLYSET_PARENT_GROUP}/${name}`, definition, parent };
}

/**
 * What keeps an object out of the set (or makes kubectl refuse the apply): a label kubectl
 * manages already set, a kind or namespace the parent does not list, a parent with a wrong id.
 */
export function applySetProblems(objects: readonly SynthObject[], set: ApplySet): { object?: SynthObject; message: string }[] {
  const problems: { object?: SynthObject; message: string }[] = [];
  const meta = set.parent.metadata;
  const [name, kind, group] = [meta.name ?? '', set.parent.kind, groupOf(set.parent.apiVersion)];
  const want = applySetId(name, meta.namespace ?? '', kind, group);
  if (meta.labels?.[APPLYSET_ID_LABEL] !== want) {
    problems.push({ message: `applyset parent ${describe(set.parent)}: label ${APPLYSET_ID_LABEL} is ${JSON.stringify(meta.labels?.[APPLYSET_ID_LABEL] ?? null)}, expected ${want}` });
  }
  const list = (key: string) => new Set((meta.annotations?.[key] ?? '').split(',').filter((x) => x !== ''));
  const kinds = list(APPLYSET_GROUP_KINDS);
  const resources = list(APPLYSET_GROUP_RESOURCES);
  const namespaces = list(APPLYSET_NAMESPACES);
  for (const o of objects) {
    const m = o.manifest;
    for (const label of [APPLYSET_PART_OF_LABEL, APPLYSET_ID_LABEL]) {
      if (m.metadata?.labels?.[label] !== undefined) {
        problems.push({ object: o, message: `carries label ${label}, which kubectl sets itself: kubectl apply --applyset refuses input that already has it` });
      }
    }
    const g = groupOf(m.apiVersion);
    if (!kinds.has(qualify(m.kind, g)) || !resources.has(qualify(resourceOf(m.kind), g))) {
      problems.push({ object: o, message: `is not in applyset ${name}: its kind ${qualify(m.kind, g)} is missing from the parent's ${APPLYSET_GROUP_KINDS} or ${APPLYSET_GROUP_RESOURCES}, so a pruning apply would never delete it` });
    }
    const ns = m.metadata?.namespace;
    if (!CLUSTER_SCOPED.has(m.kind) && (ns === undefined || !namespaces.has(ns))) {
      problems.push({ object: o, message: `is not in applyset ${name}: its namespace ${ns ?? '(none)'} is missing from the parent's ${APPLYSET_NAMESPACES}, so a pruning apply would never delete it` });
    }
  }
  return problems;
}
