import { ApiObject, JsonPatch } from 'cdk8s';

/**
 * Marks an object as cluster-scoped (Namespace, StorageClass, ClusterRole, ...).
 *
 * cdk8s gives every ApiObject its chart's namespace, cluster-scoped kinds included; the API server
 * ignores it but reviewers are misled and kustomize's namespace transformer treats the object as
 * namespaced. This removes it from the output.
 */
export function clusterScoped<T extends ApiObject>(obj: T): T {
  if (obj.metadata.namespace !== undefined) {
    obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
  return obj;
}
