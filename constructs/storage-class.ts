import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { LABEL_MANAGED_BY, LABEL_PART_OF, MANAGED_BY } from './labels';
import { clusterScoped } from './scope';
import { PropError, checkDns1123Subdomain, checkLabelValue, show } from './validate';
import { renderObject } from './workload';

/** The CSI driver of Compute Engine persistent disks on GKE (the in-tree `kubernetes.io/gce-pd` is gone). */
export const GKE_PD_CSI_DRIVER = 'pd.csi.storage.gke.io';

/** Compute Engine persistent disk types (`parameters.type`). */
export enum GkeDiskType {
  /** SSD persistent disk: the article's `fast`. */
  PD_SSD = 'pd-ssd',
  /** Balanced persistent disk (GKE's `standard-rwo`). */
  PD_BALANCED = 'pd-balanced',
  /** Standard (HDD) persistent disk. */
  PD_STANDARD = 'pd-standard',
  /** Extreme persistent disk. */
  PD_EXTREME = 'pd-extreme',
}

/** What happens to a volume when its claim is deleted. */
export enum ReclaimPolicy {
  /** The disk is deleted with the claim. */
  DELETE = 'Delete',
  /** The disk is kept (and must be deleted by hand). */
  RETAIN = 'Retain',
}

export interface GkeStorageClassProps {
  /**
   * Name of the StorageClass (cluster-wide).
   * @default the construct id
   */
  readonly name?: string;
  /**
   * Persistent disk type.
   * @default GkeDiskType.PD_SSD
   */
  readonly diskType?: GkeDiskType;
  /**
   * @default ReclaimPolicy.DELETE (what GKE's own classes do; a StatefulSet keeps its claims when it is deleted or scaled down)
   */
  readonly reclaimPolicy?: ReclaimPolicy;
  /**
   * Regional persistent disks, replicated across two zones of the region.
   * @default false (zonal disks)
   */
  readonly regional?: boolean;
  /**
   * `app.kubernetes.io/part-of` label.
   * @default none
   */
  readonly partOf?: string;
}

/**
 * A StorageClass for Compute Engine persistent disks, made the way GKE makes its own today:
 * the PD CSI driver, `volumeBindingMode: WaitForFirstConsumer` (the disk is created in the zone
 * the pod is scheduled to, so a zonal disk never strands a pod in another zone) and
 * `allowVolumeExpansion: true` (a claim can grow in place).
 *
 * The article's `fast` class used `storage.k8s.io/v1beta1` and the in-tree `kubernetes.io/gce-pd`
 * provisioner; both are gone from Kubernetes 1.27.
 *
 * Contract ids: `Resource` (the StorageClass).
 */
export class GkeStorageClass extends Construct {
  public readonly name: string;
  public readonly storageClass: ApiObject;

  constructor(scope: Construct, id: string, props: GkeStorageClassProps = {}) {
    super(scope, id);
    this.name = checkDns1123Subdomain(this, 'name', props.name ?? id);
    const diskType = props.diskType ?? GkeDiskType.PD_SSD;
    if (!Object.values(GkeDiskType).includes(diskType)) {
      throw new PropError(this, 'diskType', `diskType ${show(diskType)} is not one of ${Object.values(GkeDiskType).join(', ')}`);
    }
    const reclaimPolicy = props.reclaimPolicy ?? ReclaimPolicy.DELETE;
    if (!Object.values(ReclaimPolicy).includes(reclaimPolicy)) {
      throw new PropError(this, 'reclaimPolicy', `reclaimPolicy ${show(reclaimPolicy)} is not one of ${Object.values(ReclaimPolicy).join(', ')}`);
    }
    if (props.partOf !== undefined) checkLabelValue(this, 'partOf', props.partOf);
    if (props.regional !== undefined && typeof props.regional !== 'boolean') {
      throw new PropError(this, 'regional', `regional ${show(props.regional)} is not a boolean`);
    }
    this.storageClass = clusterScoped(renderObject(this, 'Resource', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: this.name,
        labels: { ...(props.partOf ? { [LABEL_PART_OF]: props.partOf } : {}), [LABEL_MANAGED_BY]: MANAGED_BY },
      },
      provisioner: GKE_PD_CSI_DRIVER,
      parameters: { type: diskType, ...(props.regional ? { 'replication-type': 'regional-pd' } : {}) },
      reclaimPolicy,
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    }));
  }
}
