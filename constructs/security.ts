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

/** A pod securityContext that passes "restricted" (plain JSON; fits cdk8s-plus-27's L1 type too). */
export interface RestrictedPodSecurityContext {
  readonly runAsNonRoot: true;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly fsGroup?: number;
  readonly fsGroupChangePolicy?: 'OnRootMismatch';
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
}

/** A container securityContext that passes "restricted" (plain JSON; fits the L1 type too). */
export interface RestrictedContainerSecurityContext {
  readonly allowPrivilegeEscalation: false;
  readonly readOnlyRootFilesystem: boolean;
  readonly runAsNonRoot: true;
  readonly capabilities: { readonly drop: ['ALL'] };
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
}

export function restrictedPodSecurityContext(id: PodIdentity = {}): RestrictedPodSecurityContext {
  const runAsUser = id.runAsUser ?? DEFAULT_UID;
  return {
    runAsNonRoot: true,
    runAsUser,
    runAsGroup: id.runAsGroup ?? runAsUser,
    ...(id.fsGroup !== undefined ? { fsGroup: id.fsGroup, fsGroupChangePolicy: 'OnRootMismatch' as const } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedContainerSecurityContext(opts: { readOnlyRootFilesystem?: boolean } = {}): RestrictedContainerSecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: opts.readOnlyRootFilesystem ?? true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
