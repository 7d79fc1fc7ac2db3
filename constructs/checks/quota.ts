/**
 * Quota preflight: what the output would consume of the cloud quotas the app declares. The 400
 * load balancers of the fourhundred system only came up after raising forwarding rules, target
 * pools and firewall rules to 500; finding that out from a failed `kubectl apply` is slow and
 * partial.
 */
import { Manifest, SynthObject, describe, parseQuantity, podTemplateOf } from './objects';

/** The cloud quotas the checks know how to count, by name. */
export interface QuotaLimits {
  /** GCE forwarding rules (one per LoadBalancer Service). @default not checked */
  readonly forwardingRules?: number;
  /** GCE target pools (one per LoadBalancer Service). @default not checked */
  readonly targetPools?: number;
  /** GCE firewall rules (one per LoadBalancer Service). @default not checked */
  readonly firewalls?: number;
  /** vCPUs: the sum of CPU requests over all replicas (an autoscaled workload's maxReplicas). @default not checked */
  readonly cpus?: number;
  /** GB of persistent disk: claims rounded up to whole GiB, over all replicas. @default not checked */
  readonly diskGb?: number;
}

export type QuotaName = keyof QuotaLimits;

/** The quotas in the order they are reported, with the unit messages count them in. */
export const QUOTA_UNITS: Readonly<Record<QuotaName, string>> = {
  forwardingRules: 'forwarding rules',
  targetPools: 'target pools',
  firewalls: 'firewall rules',
  cpus: 'CPUs',
  diskGb: 'GB of persistent disk',
};

export interface QuotaOptions {
  /** The limits; a quota without a limit is counted but never exceeded. */
  readonly limits?: QuotaLimits;
  /** Where the limits come from, named in each message (`envs/prod.env`). @default none */
  readonly source?: string;
  /** How messages name each quota, e.g. the setting that declares it. @default the quota's own name */
  readonly names?: { readonly [Q in QuotaName]?: string };
}

export interface QuotaUse {
  readonly quota: QuotaName;
  /** How messages name it (`QuotaOptions.names`, else the quota's own name). */
  readonly name: string;
  readonly unit: string;
  readonly need: number;
  /** The limit, when one was given. */
  readonly limit?: number;
  /** Objects consuming it, biggest first. */
  readonly consumers: readonly { readonly object: string; readonly amount: number }[];
}

function cpuOf(container: any): number {
  const q = container?.resources?.requests?.cpu;
  return q === undefined ? 0 : parseQuantity(q);
}

/** CPU a pod requests: its containers' sum, or its largest init container if that is more. */
export function podCpu(spec: any): number {
  const app = (spec?.containers ?? []).reduce((s: number, c: any) => s + cpuOf(c), 0);
  const init = Math.max(0, ...(spec?.initContainers ?? []).map(cpuOf));
  return Math.max(app, init);
}

function claimGb(claim: any): number {
  const q = claim?.spec?.resources?.requests?.storage;
  // GCE persistent disks are sized in whole GB (GiB); a claim rounds up.
  return q === undefined ? 0 : Math.ceil(parseQuantity(q) / 2 ** 30);
}

/** What each object consumes of each quota (by `Kind namespace/name`), before any sorting. */
function consumption(objects: readonly SynthObject[]): Record<QuotaName, Map<string, number>> {
  const use: Record<QuotaName, Map<string, number>> = {
    forwardingRules: new Map(), targetPools: new Map(), firewalls: new Map(), cpus: new Map(), diskGb: new Map(),
  };
  const add = (q: QuotaName, object: string, amount: number) => {
    if (amount > 0) use[q].set(object, (use[q].get(object) ?? 0) + amount);
  };
  // A workload an autoscaler scales may run as many pods as the autoscaler's maxReplicas.
  const key = (kind: string, ns: string | undefined, name: string | undefined) => `${kind}|${ns ?? ''}|${name}`;
  const scaled = new Map<string, number>();
  for (const { manifest: m } of objects) {
    const ref = m.spec?.scaleTargetRef;
    if (m.kind === 'HorizontalPodAutoscaler' && ref && typeof m.spec?.maxReplicas === 'number') {
      const k = key(ref.kind, m.metadata?.namespace, ref.name);
      scaled.set(k, Math.max(scaled.get(k) ?? 0, m.spec.maxReplicas));
    }
  }
  const replicasOf = (m: Manifest, replicas: number) => (scaled.size ? scaled.get(key(m.kind, m.metadata?.namespace, m.metadata?.name)) ?? replicas : replicas);
  for (const { manifest: m } of objects) {
    if (m.kind === 'Service' && m.spec?.type === 'LoadBalancer') {
      const object = describe(m);
      add('forwardingRules', object, 1);
      add('targetPools', object, 1);
      add('firewalls', object, 1);
    }
    const tpl = podTemplateOf(m);
    // A DaemonSet's pod count depends on the nodes; it is counted once.
    if (tpl) add('cpus', describe(m), podCpu(tpl.spec) * replicasOf(m, tpl.replicas));
    if (m.kind === 'StatefulSet') {
      const replicas = replicasOf(m, m.spec?.replicas ?? 1);
      for (const claim of m.spec?.volumeClaimTemplates ?? []) add('diskGb', describe(m), claimGb(claim) * replicas);
    }
    if (m.kind === 'PersistentVolumeClaim') add('diskGb', describe(m), claimGb(m));
  }
  return use;
}

/** Consumers biggest first (then by name). */
function sortedConsumers(use: Map<string, number>): { object: string; amount: number }[] {
  return [...use].map(([object, amount]) => ({ object, amount }))
    .sort((a, b) => b.amount - a.amount || (a.object < b.object ? -1 : 1));
}

/**
 * The sum of the amounts, added biggest first: the order `sortedConsumers` lists them in, so that
 * the floating-point sum is the same, without sorting the consumers by name.
 */
function need(use: Map<string, number>): number {
  const amounts = Float64Array.from(use.values()).sort();
  let sum = 0;
  for (let i = amounts.length - 1; i >= 0; i--) sum += amounts[i];
  return Math.round(sum * 1000) / 1000;
}

function quotaName(quota: QuotaName, options: QuotaOptions): string {
  return options.names?.[quota] ?? quota;
}

/** What `objects` consume of every quota, whether or not a limit is set. */
export function quotaUse(objects: readonly SynthObject[], options: QuotaOptions = {}): QuotaUse[] {
  const use = consumption(objects);
  return (Object.keys(QUOTA_UNITS) as QuotaName[]).map((quota) => {
    const consumers = sortedConsumers(use[quota]);
    const total = Math.round(consumers.reduce((s, c) => s + c.amount, 0) * 1000) / 1000;
    return { quota, name: quotaName(quota, options), unit: QUOTA_UNITS[quota], need: total, limit: options.limits?.[quota], consumers };
  });
}

/**
 * One message per exceeded quota, naming the need, the limit and the five biggest consumers.
 * The same figures as `quotaUse`; consumers are sorted only for a quota that is exceeded.
 */
export function quotaProblems(objects: readonly SynthObject[], options: QuotaOptions = {}): string[] {
  const from = options.source ? ` (${options.source})` : '';
  const limits = options.limits ?? {};
  const quotas = (Object.keys(QUOTA_UNITS) as QuotaName[]).filter((q) => limits[q] !== undefined);
  const use = consumption(objects);
  return quotas.filter((q) => need(use[q]) > limits[q]!).map((quota) => {
    const consumers = sortedConsumers(use[quota]);
    const top = consumers.slice(0, 5).map((c) => `${c.object} (${round(c.amount)})`).join(', ');
    const more = consumers.length > 5 ? ` and ${consumers.length - 5} more` : '';
    return `quota ${quotaName(quota, options)} exceeded: the output needs ${round(need(use[quota]))} ${QUOTA_UNITS[quota]}, the limit is ${limits[quota]}${from}; biggest consumers: ${top}${more}`;
  });
}

function round(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}
