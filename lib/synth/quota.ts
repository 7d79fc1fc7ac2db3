/**
 * Quota preflight: what the output would consume of the cloud quotas the environment declares.
 * The article's 400 load balancers only came up after raising forwarding rules, target pools and
 * firewall rules to 500; finding that out from a failed `kubectl apply` is slow and partial.
 */
import { Environment, Quotas } from '../env';
import { Manifest, SynthObject, describe, parseQuantity, podTemplateOf } from './objects';

export interface QuotaUse {
  readonly quota: keyof Quotas;
  /** The env key that declares the limit. */
  readonly key: string;
  readonly unit: string;
  readonly need: number;
  readonly limit: number;
  /** Objects consuming it, biggest first. */
  readonly consumers: readonly { readonly object: string; readonly amount: number }[];
}

const KEYS: Record<keyof Quotas, [string, string]> = {
  forwardingRules: ['QUOTA_FORWARDING_RULES', 'forwarding rules'],
  targetPools: ['QUOTA_TARGET_POOLS', 'target pools'],
  firewalls: ['QUOTA_FIREWALLS', 'firewall rules'],
  cpus: ['QUOTA_CPUS', 'CPUs'],
  diskGb: ['QUOTA_DISK_GB', 'GB of persistent disk'],
};

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

export function quotaUse(env: Environment, objects: readonly SynthObject[]): QuotaUse[] {
  const use: Record<keyof Quotas, Map<string, number>> = {
    forwardingRules: new Map(), targetPools: new Map(), firewalls: new Map(), cpus: new Map(), diskGb: new Map(),
  };
  const add = (q: keyof Quotas, m: Manifest, amount: number) => {
    if (amount > 0) use[q].set(describe(m), (use[q].get(describe(m)) ?? 0) + amount);
  };
  for (const { manifest: m } of objects) {
    if (m.kind === 'Service' && m.spec?.type === 'LoadBalancer') {
      add('forwardingRules', m, 1);
      add('targetPools', m, 1);
      add('firewalls', m, 1);
    }
    const tpl = podTemplateOf(m);
    // A DaemonSet's pod count depends on the nodes; it is counted once.
    if (tpl) add('cpus', m, podCpu(tpl.spec) * tpl.replicas);
    if (m.kind === 'StatefulSet') {
      const replicas = m.spec?.replicas ?? 1;
      for (const claim of m.spec?.volumeClaimTemplates ?? []) add('diskGb', m, claimGb(claim) * replicas);
    }
    if (m.kind === 'PersistentVolumeClaim') add('diskGb', m, claimGb(m));
  }
  return (Object.keys(KEYS) as (keyof Quotas)[]).map((quota) => {
    const consumers = [...use[quota]].map(([object, amount]) => ({ object, amount }))
      .sort((a, b) => b.amount - a.amount || (a.object < b.object ? -1 : 1));
    const need = Math.round(consumers.reduce((s, c) => s + c.amount, 0) * 1000) / 1000;
    return { quota, key: KEYS[quota][0], unit: KEYS[quota][1], need, limit: env.quotas[quota], consumers };
  });
}

/** One message per exceeded quota, naming the need, the limit and the five biggest consumers. */
export function quotaProblems(env: Environment, objects: readonly SynthObject[]): string[] {
  return quotaUse(env, objects).filter((u) => u.need > u.limit).map((u) => {
    const top = u.consumers.slice(0, 5).map((c) => `${c.object} (${round(c.amount)})`).join(', ');
    const more = u.consumers.length > 5 ? ` and ${u.consumers.length - 5} more` : '';
    return `quota ${u.key} exceeded: the output needs ${round(u.need)} ${u.unit}, the limit is ${u.limit} (${env.file}); biggest consumers: ${top}${more}`;
  });
}

function round(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}
