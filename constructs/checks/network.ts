/**
 * The zero-trust checks: every namespace the output creates denies all ingress by default, and
 * every workload whose pods listen on a port is reached through a NetworkPolicy that admits
 * traffic to it. A pure function over the synthesized objects; it returns problems in the shape
 * the other checks use (`{ object, message }`).
 */
import { selects } from './objects';

/** What these checks read of a synthesized object. */
export interface NetworkCheckObject {
  /** The construct path that made it. */
  readonly path: string;
  readonly manifest: {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name?: string; readonly namespace?: string; readonly labels?: Record<string, string> };
    readonly [field: string]: any;
  };
}

export interface NetworkProblem<T extends NetworkCheckObject = NetworkCheckObject> {
  readonly object?: T;
  readonly message: string;
}

/** Kinds whose pods the checks look at, and where their pod template is. */
const TEMPLATE_OF: Record<string, (m: any) => any> = {
  Deployment: (m) => m.spec?.template,
  StatefulSet: (m) => m.spec?.template,
  DaemonSet: (m) => m.spec?.template,
  ReplicaSet: (m) => m.spec?.template,
  ReplicationController: (m) => m.spec?.template,
  Job: (m) => m.spec?.template,
  CronJob: (m) => m.spec?.jobTemplate?.spec?.template,
  Pod: (m) => ({ metadata: m.metadata, spec: m.spec }),
};

interface ContainerPort { readonly name?: string; readonly port: number; readonly protocol: string }

/**
 * Problems of the output's network policies:
 * - a Namespace in the output with no NetworkPolicy in it that selects every pod
 *   (`podSelector: {}`), applies to Ingress and has no ingress rule (default deny);
 * - a workload (a pod template with container ports, not on the host network) that no
 *   NetworkPolicy of its namespace admits traffic to on any of its ports.
 */
export function networkProblems<T extends NetworkCheckObject>(objects: readonly T[]): NetworkProblem<T>[] {
  const problems: NetworkProblem<T>[] = [];
  const policiesByNs = new Map<string, T[]>();
  // Policies indexed by namespace and the one label of their selector that the fewest policies
  // match on (or, when they match on no label, by namespace alone): a policy selects only pods
  // carrying every label it matches on, so a workload finds every policy that may select it among
  // those indexed under one of its own labels; and a label every policy repeats (app: x before
  // instance: x-1) does not put every policy in front of every workload.
  const candidates = new Map<string, T[]>();
  const push = (map: Map<string, T[]>, key: string, o: T) => {
    const list = map.get(key);
    if (list) list.push(o);
    else map.set(key, [o]);
  };
  const selectors: { policy: T; keys: string[] }[] = [];
  const uses = new Map<string, number>();
  for (const o of objects) {
    if (o.manifest.kind !== 'NetworkPolicy') continue;
    const ns = o.manifest.metadata?.namespace ?? '';
    push(policiesByNs, ns, o);
    const keys = Object.entries(o.manifest.spec?.podSelector?.matchLabels ?? {}).map(([k, v]) => `${ns}|${k}=${v}`);
    for (const key of keys) uses.set(key, (uses.get(key) ?? 0) + 1);
    selectors.push({ policy: o, keys: keys.length ? keys : [`${ns}|`] });
  }
  for (const { policy, keys } of selectors) {
    let rarest = keys[0];
    for (const key of keys) if (uses.get(key)! < uses.get(rarest)!) rarest = key;
    push(candidates, rarest, policy);
  }

  for (const o of objects) {
    const m = o.manifest;
    if (m.kind === 'Namespace') {
      const ns = m.metadata?.name ?? '';
      if (!(policiesByNs.get(ns) ?? []).some((p) => isDefaultDenyIngress(p.manifest))) {
        problems.push({ object: o, message: `has no default-deny ingress NetworkPolicy (podSelector {}, policyTypes [Ingress], no ingress rule): every pod in namespace ${ns} is reachable from anywhere in the cluster unless a policy selects it` });
      }
      continue;
    }
    const templateOf = TEMPLATE_OF[m.kind];
    const template = templateOf?.(m);
    if (!template || template.spec?.hostNetwork === true) continue;
    const ports = containerPorts(template.spec);
    if (ports.length === 0) continue;
    const labels: Record<string, string> = template.metadata?.labels ?? {};
    const ns = m.metadata?.namespace ?? '';
    const policies = [...(candidates.get(`${ns}|`) ?? []), ...Object.entries(labels).flatMap(([k, v]) => candidates.get(`${ns}|${k}=${v}`) ?? [])];
    const admitted = policies.some((p) => appliesToIngress(p.manifest) && selects(p.manifest.spec?.podSelector, labels)
      && (p.manifest.spec?.ingress ?? []).some((rule: any) => ports.some((port) => ruleAdmits(rule, port))));
    if (!admitted) {
      const list = ports.map((p) => `${p.port}/${p.protocol}`).join(', ');
      problems.push({ object: o, message: `its pods listen on ${list} but no NetworkPolicy in namespace ${ns || '<none>'} admits traffic to them: name the clients (allowFrom) or expose the port with a NetworkPolicy` });
    }
  }
  return problems;
}

/** Whether `m` is a NetworkPolicy that selects every pod, applies to Ingress and admits nothing. */
export function isDefaultDenyIngress(m: NetworkCheckObject['manifest']): boolean {
  if (m.kind !== 'NetworkPolicy') return false;
  const sel = m.spec?.podSelector ?? {};
  const everyPod = Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
  return everyPod && appliesToIngress(m) && (m.spec?.ingress ?? []).length === 0;
}

/** `policyTypes` defaults to Ingress (plus Egress when egress rules are given). */
function appliesToIngress(m: NetworkCheckObject['manifest']): boolean {
  const types = m.spec?.policyTypes;
  return types === undefined || (Array.isArray(types) && types.includes('Ingress'));
}

function containerPorts(spec: any): ContainerPort[] {
  const out: ContainerPort[] = [];
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const p of c?.ports ?? []) {
      if (typeof p?.containerPort === 'number') out.push({ name: p.name, port: p.containerPort, protocol: p.protocol ?? 'TCP' });
    }
  }
  return out;
}

/** Whether an ingress rule admits some source to `port` (a rule without `ports` admits every port). */
function ruleAdmits(rule: any, port: ContainerPort): boolean {
  if (rule === null || typeof rule !== 'object') return false;
  const ports = rule.ports;
  if (ports === undefined || (Array.isArray(ports) && ports.length === 0)) return true;
  return ports.some((p: any) => {
    if ((p?.protocol ?? 'TCP') !== port.protocol) return false;
    if (p?.port === undefined) return true;
    if (typeof p.port === 'string') return p.port === port.name;
    const end = typeof p.endPort === 'number' ? p.endPort : p.port;
    return port.port >= p.port && port.port <= end;
  });
}
