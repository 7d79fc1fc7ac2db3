import * as kplus from 'cdk8s-plus-27';

/**
 * Security contexts that pass the Pod Security Standards "restricted" profile
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted).
 */
export interface PodIdentity {
  /** @default 65532, the conventional "nonroot" uid of distroless images */
  readonly runAsUser?: number;
  /** @default same as runAsUser */
  readonly runAsGroup?: number;
  /** Group that owns mounted volumes. @default no fsGroup */
  readonly fsGroup?: number;
}

export const DEFAULT_UID = 65532;

export function restrictedPodSecurityContext(id: PodIdentity = {}): kplus.k8s.PodSecurityContext {
  const runAsUser = id.runAsUser ?? DEFAULT_UID;
  return {
    runAsNonRoot: true,
    runAsUser,
    runAsGroup: id.runAsGroup ?? runAsUser,
    ...(id.fsGroup !== undefined ? { fsGroup: id.fsGroup, fsGroupChangePolicy: 'OnRootMismatch' } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedContainerSecurityContext(opts: { readOnlyRootFilesystem?: boolean } = {}): kplus.k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: opts.readOnlyRootFilesystem ?? true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
