/**
 * Schema validation against Kubernetes 1.27 with kubernetes-models 4.5.1 (the schema set that
 * matches cdk8s-plus-27), and the API versions Kubernetes 1.27 no longer serves.
 */
import { Manifest, groupOf } from './objects';

/** Group/versions removed from Kubernetes by 1.27, with what replaced them. */
export const REMOVED_API_VERSIONS: Readonly<Record<string, string>> = {
  'extensions/v1beta1': 'apps/v1 or networking.k8s.io/v1 (removed in 1.16/1.22)',
  'apps/v1beta1': 'apps/v1 (removed in 1.16)',
  'apps/v1beta2': 'apps/v1 (removed in 1.16)',
  'admissionregistration.k8s.io/v1beta1': 'admissionregistration.k8s.io/v1 (removed in 1.22)',
  'apiextensions.k8s.io/v1beta1': 'apiextensions.k8s.io/v1 (removed in 1.22)',
  'apiregistration.k8s.io/v1beta1': 'apiregistration.k8s.io/v1 (removed in 1.22)',
  'authentication.k8s.io/v1beta1': 'authentication.k8s.io/v1 (removed in 1.22)',
  'authorization.k8s.io/v1beta1': 'authorization.k8s.io/v1 (removed in 1.22)',
  'certificates.k8s.io/v1beta1': 'certificates.k8s.io/v1 (removed in 1.22)',
  'coordination.k8s.io/v1beta1': 'coordination.k8s.io/v1 (removed in 1.22)',
  'networking.k8s.io/v1beta1': 'networking.k8s.io/v1 (removed in 1.22)',
  'rbac.authorization.k8s.io/v1beta1': 'rbac.authorization.k8s.io/v1 (removed in 1.22)',
  'scheduling.k8s.io/v1beta1': 'scheduling.k8s.io/v1 (removed in 1.22)',
  'storage.k8s.io/v1beta1': 'storage.k8s.io/v1 (removed in 1.22/1.27)',
  'batch/v1beta1': 'batch/v1 (removed in 1.25)',
  'discovery.k8s.io/v1beta1': 'discovery.k8s.io/v1 (removed in 1.25)',
  'events.k8s.io/v1beta1': 'events.k8s.io/v1 (removed in 1.25)',
  'autoscaling/v2beta1': 'autoscaling/v2 (removed in 1.25)',
  'autoscaling/v2beta2': 'autoscaling/v2 (removed in 1.26)',
  'policy/v1beta1': 'policy/v1; PodSecurityPolicy is gone: use Pod Security admission (removed in 1.25)',
  'node.k8s.io/v1beta1': 'node.k8s.io/v1 (removed in 1.25)',
  'flowcontrol.apiserver.k8s.io/v1beta1': 'flowcontrol.apiserver.k8s.io/v1beta3 (removed in 1.26)',
};

type ModelClass = { new (data: any): { validate(): void }; readonly prototype: { validate(): void } };
const models = new Map<string, ModelClass | null>();

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The kinds mega8s emits, each required by a literal path inside a function: still loaded only
 * when that kind is first checked, but visible to a bundler, so that the precompiled synth app
 * (lib/precompile.js) carries them in its one file and its code cache. Any other kind is required
 * by name (modelFor).
 */
export const EMITTED_KINDS: Readonly<Record<string, () => Record<string, ModelClass>>> = {
  'apiextensions.k8s.io/v1/CustomResourceDefinition': () => require('kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition'),
  'apps/v1/DaemonSet': () => require('kubernetes-models/apps/v1/DaemonSet'),
  'apps/v1/Deployment': () => require('kubernetes-models/apps/v1/Deployment'),
  'apps/v1/StatefulSet': () => require('kubernetes-models/apps/v1/StatefulSet'),
  'autoscaling/v2/HorizontalPodAutoscaler': () => require('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'),
  'batch/v1/CronJob': () => require('kubernetes-models/batch/v1/CronJob'),
  'batch/v1/Job': () => require('kubernetes-models/batch/v1/Job'),
  'networking.k8s.io/v1/NetworkPolicy': () => require('kubernetes-models/networking.k8s.io/v1/NetworkPolicy'),
  'policy/v1/PodDisruptionBudget': () => require('kubernetes-models/policy/v1/PodDisruptionBudget'),
  'rbac.authorization.k8s.io/v1/ClusterRole': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole'),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding'),
  'rbac.authorization.k8s.io/v1/Role': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/Role'),
  'rbac.authorization.k8s.io/v1/RoleBinding': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding'),
  'storage.k8s.io/v1/StorageClass': () => require('kubernetes-models/storage.k8s.io/v1/StorageClass'),
  'v1/ConfigMap': () => require('kubernetes-models/v1/ConfigMap'),
  'v1/Namespace': () => require('kubernetes-models/v1/Namespace'),
  'v1/PersistentVolumeClaim': () => require('kubernetes-models/v1/PersistentVolumeClaim'),
  'v1/ResourceQuota': () => require('kubernetes-models/v1/ResourceQuota'),
  'v1/Secret': () => require('kubernetes-models/v1/Secret'),
  'v1/Service': () => require('kubernetes-models/v1/Service'),
  'v1/ServiceAccount': () => require('kubernetes-models/v1/ServiceAccount'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** A kubernetes-models module by its path, for kinds mega8s does not emit (hidden from bundlers: there are ~900). */
const requireByName: (id: string) => Record<string, ModelClass> = (id) => module.require(id);

function modelFor(apiVersion: string, kind: string): ModelClass | null {
  const key = `${apiVersion}/${kind}`;
  let model = models.get(key);
  if (model === undefined) {
    const group = groupOf(apiVersion);
    const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
    const dir = group ? `${group}/${version}` : version;
    if (!/^[a-z0-9.]+\/v[a-z0-9]+$|^v[a-z0-9]+$/.test(dir) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
      model = null;
    } else {
      try {
        const load = EMITTED_KINDS[key];
        model = (load ? load() : requireByName(`kubernetes-models/${dir}/${kind}`))[kind] ?? null;
      } catch {
        model = null;
      }
    }
    models.set(key, model);
  }
  return model;
}

/**
 * Whether kubernetes-models' model constructor would hand its validator data equal to `value`.
 * The constructor copies the manifest (`setDefinedProps` / `filterUndefinedValues` of
 * @kubernetes-models/base): plain objects are rebuilt from their own enumerable keys without the
 * keys whose value is undefined, arrays element by element, anything else is kept as it is. The
 * copy differs from the original only where an object holds an undefined value (the validator
 * would see such a key when it walks a map, e.g. labels) or where an object is not a plain
 * `Object.prototype` object (the copy drops what it inherits). Manifests made by cdk8s or parsed
 * from JSON or YAML have neither, so they are validated as they are; anything else goes through
 * the model, as before. (The top-level object becomes the model instance, which also inherits an
 * enumerable `validate`; no top-level validator of kubernetes-models 4.5.1 walks the keys of its
 * object, so that is never seen. Properties that are getters or not enumerable are not looked
 * for: neither cdk8s nor a JSON or YAML parser makes them.)
 */
function copiedUnchanged(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!copiedUnchanged(value[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || !copiedUnchanged(v)) return false;
  }
  return true;
}

/**
 * Runs the kind's validator (the one `new Model(m).validate()` runs, through the model's own
 * `validate`) on the manifest itself when the model's copy of it would be equal, which saves
 * copying every object; through a model otherwise. Throws what `validate()` throws.
 */
function validateWith(Model: ModelClass, m: Manifest): void {
  let same: boolean;
  try {
    same = copiedUnchanged(m);
  } catch {
    same = false; // e.g. a cycle: the model's copy throws the same way
  }
  if (same) Model.prototype.validate.call(m);
  else new Model(m).validate();
}

/** Problems of one object with the 1.27 schema; empty when it is valid. */
export function schemaProblems(m: Manifest): string[] {
  if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string') return ['has no apiVersion or kind'];
  const removed = REMOVED_API_VERSIONS[m.apiVersion];
  if (removed) return [`uses ${m.apiVersion}, which Kubernetes 1.27 no longer serves: use ${removed}`];
  const Model = modelFor(m.apiVersion, m.kind);
  if (!Model) return [`${m.apiVersion} ${m.kind} is not a Kubernetes 1.27 kind (kubernetes-models 4.5.1 has no schema for it)`];
  try {
    validateWith(Model, m);
    return [];
  } catch (e: any) {
    const errors: any[] = e?.errors ?? [];
    if (!errors.length) return [`does not match the ${m.apiVersion} ${m.kind} schema: ${e?.message ?? e}`];
    return errors.map((x) => `does not match the ${m.apiVersion} ${m.kind} schema: ${x.instancePath || '/'} ${x.message}${x.params?.allowedValues ? ` (${x.params.allowedValues.join(', ')})` : ''}`);
  }
}
