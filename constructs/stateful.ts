import { ApiObject, JsonPatch } from 'cdk8s';
import { storedQuantity } from './quantity';

/**
 * The volume claim template every member of a database StatefulSet gets: `data`, ReadWriteOnce,
 * labelled with the selector so the claims can be found by it, written as the API server stores
 * it (`storedClaimTemplate`), so that a client-side `kubectl apply` of unchanged output reports
 * "unchanged".
 */
export function dataClaimTemplate(selector: Record<string, string>, storageSize: string, storageClassName?: string): Record<string, any> {
  return storedClaimTemplate({
    metadata: { name: 'data', labels: { ...selector } },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storageClassName !== undefined ? { storageClassName } : {}),
      resources: { requests: { storage: storedQuantity(storageSize, true) } },
    },
  });
}

/**
 * One claim template as the API server stores it.
 *
 * `volumeClaimTemplates` is an atomic list: `kubectl apply` sends the whole list whenever it
 * differs in any way from the live one, and the live one carries what the server added to each
 * template (Kubernetes 1.27):
 * - `apiVersion: v1` and `kind: PersistentVolumeClaim` (apps/v1 returns the templates as full objects);
 * - `metadata.creationTimestamp: null` (the zero time a never-saved object serializes to): cdk8s drops
 *   null values when it renders, so `keepNullCreationTimestamps` adds them back as JSON patches;
 * - `spec.volumeMode: Filesystem` (SetDefaults_PersistentVolumeClaimSpec);
 * - `status.phase: Pending` (SetDefaults_PersistentVolumeClaim, which apps/v1 runs on every template).
 */
export function storedClaimTemplate(template: any): any {
  const { apiVersion, kind, metadata, spec, status, ...rest } = template;
  return {
    apiVersion: apiVersion ?? 'v1',
    kind: kind ?? 'PersistentVolumeClaim',
    metadata,
    ...rest,
    spec: { ...spec, volumeMode: spec?.volumeMode ?? 'Filesystem' },
    status: status ?? { phase: 'Pending' },
  };
}

/**
 * Adds `metadata.creationTimestamp: null` to each of a StatefulSet's claim templates as JSON
 * patches, which cdk8s applies after it has dropped null values (see `storedClaimTemplate`).
 */
export function keepNullCreationTimestamps(statefulSet: ApiObject, templates: number): void {
  for (let i = 0; i < templates; i++) {
    statefulSet.addJsonPatch(JsonPatch.add(`/spec/volumeClaimTemplates/${i}/metadata/creationTimestamp`, null));
  }
}
