import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { storedQuantity } from './quantity';

/**
 * The volume claim template every member of a database StatefulSet gets: `data`, ReadWriteOnce,
 * labelled with the selector so the claims can be found by it. StoredClaimsStatefulSet adds the
 * fields the API server fills in.
 */
export function dataClaimTemplate(selector: Record<string, string>, storageSize: string, storageClassName?: string): kplus.k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name: 'data', labels: selector },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storageClassName !== undefined ? { storageClassName } : {}),
      resources: { requests: { storage: kplus.k8s.Quantity.fromString(storedQuantity(storageSize, true)) } },
    },
  };
}

/**
 * A StatefulSet whose volume claim templates are written as the API server stores them, so that
 * a client-side `kubectl apply` of unchanged output reports "unchanged".
 *
 * `volumeClaimTemplates` is an atomic list: `kubectl apply` sends the whole list whenever it
 * differs in any way from the live one, and the live one carries what the server added to each
 * template (Kubernetes 1.27):
 * - `apiVersion: v1` and `kind: PersistentVolumeClaim` (apps/v1 returns the templates as full objects);
 * - `metadata.creationTimestamp: null` (the zero time a never-saved object serializes to);
 * - `spec.volumeMode: Filesystem` (SetDefaults_PersistentVolumeClaimSpec);
 * - `status.phase: Pending` (SetDefaults_PersistentVolumeClaim, which apps/v1 runs on every template).
 * Their quantities are in stored form already (dataClaimTemplate). cdk8s-plus-27's typed claim
 * drops fields it does not know (even from JSON patches), hence the subclass.
 */
export class StoredClaimsStatefulSet extends kplus.k8s.KubeStatefulSet {
  public toJson(): any {
    const json = super.toJson();
    const templates: any[] | undefined = json.spec?.volumeClaimTemplates;
    if (templates) json.spec.volumeClaimTemplates = templates.map(storedClaimTemplate);
    return json;
  }
}

/** One claim template as the API server stores it (see StoredClaimsStatefulSet); keys in cdk8s's sorted order. */
export function storedClaimTemplate(template: any): any {
  const { apiVersion, kind, metadata, spec, status, ...rest } = template;
  return {
    apiVersion: apiVersion ?? 'v1',
    kind: kind ?? 'PersistentVolumeClaim',
    metadata: { creationTimestamp: null, ...metadata },
    ...rest,
    spec: { ...spec, volumeMode: spec?.volumeMode ?? 'Filesystem' },
    status: status ?? { phase: 'Pending' },
  };
}

/**
 * A PodDisruptionBudget (id `Pdb`) letting voluntary disruptions (a node drain) take one pod
 * at a time.
 */
export function onePodAtATime(scope: Construct, name: string, labels: Record<string, string>, selector: Record<string, string>): kplus.k8s.KubePodDisruptionBudget {
  return new kplus.k8s.KubePodDisruptionBudget(scope, 'Pdb', {
    metadata: { name, labels },
    spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
  });
}
