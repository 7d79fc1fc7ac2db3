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

type ModelClass = new (data: any) => { validate(): void };
const models = new Map<string, ModelClass | null>();

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
        model = (require(`kubernetes-models/${dir}/${kind}`) as Record<string, ModelClass>)[kind] ?? null;
      } catch {
        model = null;
      }
    }
    models.set(key, model);
  }
  return model;
}

/** Problems of one object with the 1.27 schema; empty when it is valid. */
export function schemaProblems(m: Manifest): string[] {
  if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string') return ['has no apiVersion or kind'];
  const removed = REMOVED_API_VERSIONS[m.apiVersion];
  if (removed) return [`uses ${m.apiVersion}, which Kubernetes 1.27 no longer serves: use ${removed}`];
  const Model = modelFor(m.apiVersion, m.kind);
  if (!Model) return [`${m.apiVersion} ${m.kind} is not a Kubernetes 1.27 kind (kubernetes-models 4.5.1 has no schema for it)`];
  try {
    new Model(m).validate();
    return [];
  } catch (e: any) {
    const errors: any[] = e?.errors ?? [];
    if (!errors.length) return [`does not match the ${m.apiVersion} ${m.kind} schema: ${e?.message ?? e}`];
    return errors.map((x) => `does not match the ${m.apiVersion} ${m.kind} schema: ${x.instancePath || '/'} ${x.message}${x.params?.allowedValues ? ` (${x.params.allowedValues.join(', ')})` : ''}`);
  }
}
