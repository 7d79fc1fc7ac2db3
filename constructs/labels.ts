/**
 * Labels every mega8s object carries (the Kubernetes recommended labels) and the stable subset
 * used in selectors.
 *
 * Selectors use only `app.kubernetes.io/name` and `app.kubernetes.io/instance`: selectors of
 * Deployments and StatefulSets are immutable, so they must never contain anything that changes
 * with a refactor (a construct-path hash) or a release (a version).
 */
export const MANAGED_BY = 'mega8s';

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
export const LABEL_VERSION = 'app.kubernetes.io/version';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

export interface AppIdentity {
  /** `app.kubernetes.io/name`: what the application is (`whoami`, `mongodb`). */
  readonly name: string;
  /** `app.kubernetes.io/instance`: which copy of it (`service-007`, `mongo`). */
  readonly instance: string;
  /** `app.kubernetes.io/component`, when set (`server`, `database`). */
  readonly component?: string;
  /** `app.kubernetes.io/part-of`, when set (`fourhundred`, `shippy`). */
  readonly partOf?: string;
  /** `app.kubernetes.io/version`, when set. Never used in selectors. */
  readonly version?: string;
}

/** The immutable selector labels of one application instance. */
export function selectorLabels(id: AppIdentity): Record<string, string> {
  return { [LABEL_NAME]: id.name, [LABEL_INSTANCE]: id.instance };
}

/**
 * The full recommended label set; `extra` labels come first so that the recommended ones win.
 */
export function recommendedLabels(id: AppIdentity, extra: Record<string, string> = {}): Record<string, string> {
  const labels: Record<string, string> = { ...extra, [LABEL_NAME]: id.name, [LABEL_INSTANCE]: id.instance };
  if (id.component) labels[LABEL_COMPONENT] = id.component;
  if (id.partOf) labels[LABEL_PART_OF] = id.partOf;
  if (id.version) labels[LABEL_VERSION] = id.version;
  labels[LABEL_MANAGED_BY] = MANAGED_BY;
  return labels;
}

/**
 * A container image's tag, usable as `app.kubernetes.io/version` (a label value: at most 63
 * characters of `[A-Za-z0-9_.-]`), or undefined when the image has none or it does not fit.
 */
export function versionOfImage(image: string): string | undefined {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon <= slash) return undefined;
  const tag = ref.slice(colon + 1);
  return /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(tag) ? tag : undefined;
}
