/** The JSON shape of a synthesized object, and what the checks need to know about kinds. */

export interface Metadata {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: Metadata;
  readonly [field: string]: any;
}

/** One object of the output, with where it came from. */
export interface SynthObject {
  readonly chart: string;
  /** The cdk8s construct path of the ApiObject that made it. */
  readonly path: string;
  readonly manifest: Manifest;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Cluster-scoped kinds of Kubernetes 1.27 (everything else is namespaced). */
export const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment',
  'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'RuntimeClass', 'IngressClass',
  'CustomResourceDefinition', 'APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'CertificateSigningRequest',
  'FlowSchema', 'PriorityLevelConfiguration', 'ComponentStatus', 'ClusterCIDR',
]);

/** `Kind namespace/name` (or `Kind name` when cluster-scoped), as messages name an object. */
export function describe(m: Manifest): string {
  const ns = m.metadata?.namespace;
  return `${m.kind} ${ns ? `${ns}/` : ''}${m.metadata?.name ?? '<unnamed>'}`;
}

export interface PodTemplate {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly spec: any;
  /** How many pods run this template (replicas; 1 for a Job or Pod; 1 per node for a DaemonSet, counted as 1). */
  readonly replicas: number;
}

/** The pod template a workload object carries, if it is one. */
export function podTemplateOf(m: Manifest): PodTemplate | undefined {
  let tpl: any;
  let replicas = 1;
  switch (m.kind) {
    case 'Deployment': case 'StatefulSet': case 'ReplicaSet': case 'ReplicationController':
      tpl = m.spec?.template; replicas = m.spec?.replicas ?? 1; break;
    case 'DaemonSet': tpl = m.spec?.template; break;
    case 'Job': tpl = m.spec?.template; replicas = m.spec?.parallelism ?? 1; break;
    case 'CronJob': tpl = m.spec?.jobTemplate?.spec?.template; replicas = m.spec?.jobTemplate?.spec?.parallelism ?? 1; break;
    case 'Pod': tpl = { metadata: m.metadata, spec: m.spec }; break;
    default: return undefined;
  }
  if (!tpl) return undefined;
  return { labels: tpl.metadata?.labels ?? {}, annotations: tpl.metadata?.annotations ?? {}, spec: tpl.spec ?? {}, replicas };
}

export function allContainers(spec: any): any[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
}

export interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}

/** Kubernetes label selector semantics (an empty selector matches everything). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In': if (!has || !(e.values ?? []).includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && (e.values ?? []).includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/** A Service's plain `selector` map as a label selector. */
export function mapSelector(selector: Record<string, string> | undefined): LabelSelector | undefined {
  return selector && Object.keys(selector).length ? { matchLabels: selector } : undefined;
}

/** Parses a Kubernetes quantity into a number of base units (cores for CPU, bytes for memory). */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([eE][+-]?\d+|[numkMGTPE]i?|Ki)?$/.exec(q.trim());
  if (!m) throw new Error(`not a quantity: ${q}`);
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (/^[eE]/.test(suffix)) return n * Math.pow(10, Number(suffix.slice(1)));
  const factors: Record<string, number> = {
    '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  };
  const f = factors[suffix];
  if (f === undefined) throw new Error(`not a quantity: ${q}`);
  return n * f;
}
