import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { storedQuantity } from './quantity';

/**
 * The volume claim template every member of a database StatefulSet gets: `data`, ReadWriteOnce,
 * labelled with the selector so the claims can be found by it.
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
 * A PodDisruptionBudget (id `Pdb`) letting voluntary disruptions (a node drain) take one pod
 * at a time.
 */
export function onePodAtATime(scope: Construct, name: string, labels: Record<string, string>, selector: Record<string, string>): kplus.k8s.KubePodDisruptionBudget {
  return new kplus.k8s.KubePodDisruptionBudget(scope, 'Pdb', {
    metadata: { name, labels },
    spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
  });
}
