/**
 * The semantic diff of two synthesized outputs: object by object (added, removed, changed,
 * renamed), field paths with old and new values (list items matched by `name`), secret-like values
 * masked, and the risks a reviewer must see first. A pure function of two object sets.
 */

export interface ReviewObject {
  readonly env: string;
  readonly chart: string;
  /** The construct path that made the object. */
  readonly path: string;
  readonly manifest: any;
}

export interface FieldChange {
  /** `spec.template.spec.containers[name=app].image` */
  readonly field: string;
  readonly old?: unknown;
  readonly new?: unknown;
}

export type ChangeKind = 'added' | 'removed' | 'changed' | 'renamed';

export interface ObjectChange {
  readonly kind: ChangeKind;
  readonly env: string;
  readonly chart: string;
  /** `Kind namespace/name` (the new one for a renamed object). */
  readonly object: string;
  readonly path: string;
  /** For a renamed object: its old name and construct path. */
  readonly from?: { readonly object: string; readonly path: string };
  readonly fields: readonly FieldChange[];
}

export type RiskKind =
  | 'immutable-field' | 'replicas-under-hpa' | 'rbac-widened' | 'pod-security-weakened'
  | 'network-policy-loosened' | 'new-load-balancer' | 'image-changed' | 'removed';

export interface Risk {
  readonly kind: RiskKind;
  readonly env: string;
  readonly chart: string;
  readonly object: string;
  readonly path: string;
  readonly message: string;
}

export interface Diff {
  readonly changes: readonly ObjectChange[];
  readonly risks: readonly Risk[];
  /** Per environment: new LoadBalancer Services minus removed ones (forwarding-rule quota delta). */
  readonly loadBalancerDelta: Readonly<Record<string, number>>;
}

export const MASK = '***';
const SECRET_NAME = /(password|passwd|secret|token|api[-_]?key|private[-_]?key|credential)/i;

const groupOf = (apiVersion: string) => (apiVersion?.includes('/') ? apiVersion.split('/')[0] : '');
export const describeObject = (m: any) => `${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata?.name}`;
const identity = (o: ReviewObject) => `${o.env}|${groupOf(o.manifest.apiVersion)}|${o.manifest.kind}|${o.manifest.metadata?.namespace ?? ''}|${o.manifest.metadata?.name}`;

/** A copy with secret-like values replaced by MASK: Secret data, env values and ConfigMap keys with secret-like names. */
export function maskSecrets(m: any): any {
  const copy = JSON.parse(JSON.stringify(m));
  if (copy.kind === 'Secret') {
    for (const k of ['data', 'stringData']) if (copy[k]) for (const key of Object.keys(copy[k])) copy[k][key] = MASK;
  }
  if (copy.kind === 'ConfigMap' && copy.data) for (const key of Object.keys(copy.data)) if (SECRET_NAME.test(key)) copy.data[key] = MASK;
  const walk = (x: any) => {
    if (Array.isArray(x)) { x.forEach(walk); return; }
    if (!x || typeof x !== 'object') return;
    if (typeof x.name === 'string' && SECRET_NAME.test(x.name) && typeof x.value === 'string') x.value = MASK;
    for (const v of Object.values(x)) walk(v);
  };
  walk(copy.spec);
  return copy;
}

/** A field change with secret-like values masked: a changed secret shows as changed, never its value. */
export function maskField(kind: string, f: FieldChange): FieldChange {
  const secret = (kind === 'Secret' && /^(data|stringData)\b/.test(f.field))
    || (kind === 'ConfigMap' && /^data\b/.test(f.field) && SECRET_NAME.test(f.field))
    || /\[name=[^\]]*\](\.value)?$/.test(f.field) && SECRET_NAME.test(f.field.slice(f.field.lastIndexOf('[name=')));
  if (!secret) return f;
  const hide = (v: unknown) => (v === undefined ? undefined : v && typeof v === 'object' ? maskSecrets({ kind, spec: v }).spec : MASK);
  return { field: f.field, ...(f.old !== undefined ? { old: hide(f.old) } : {}), ...(f.new !== undefined ? { new: hide(f.new) } : {}) };
}

const isNamedList = (xs: unknown): xs is { name: string }[] => Array.isArray(xs) && xs.length > 0
  && xs.every((x) => x && typeof x === 'object' && typeof (x as any).name === 'string')
  && new Set(xs.map((x: any) => x.name)).size === xs.length;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const fieldName = (base: string, key: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (base ? `${base}.${key}` : key) : `${base}[${JSON.stringify(key)}]`);

/** Field-level changes between two values; lists whose items all have distinct names are matched by name. */
export function fieldChanges(a: any, b: any, base = ''): FieldChange[] {
  if (same(a, b)) return [];
  const isObj = (x: any) => x && typeof x === 'object' && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => (k in a && k in b ? fieldChanges(a[k], b[k], fieldName(base, k))
      : k in a ? [{ field: fieldName(base, k), old: a[k] }] : [{ field: fieldName(base, k), new: b[k] }]));
  }
  if ((isNamedList(a) || (Array.isArray(a) && a.length === 0)) && (isNamedList(b) || (Array.isArray(b) && b.length === 0)) && (a.length || b.length)) {
    const byName = (xs: any[]) => new Map(xs.map((x) => [x.name, x]));
    const [ma, mb] = [byName(a), byName(b)];
    const names = [...new Set([...ma.keys(), ...mb.keys()])];
    return names.flatMap((n) => {
      const f = `${base}[name=${n}]`;
      if (ma.has(n) && mb.has(n)) return fieldChanges(ma.get(n), mb.get(n), f);
      return ma.has(n) ? [{ field: f, old: ma.get(n) }] : [{ field: f, new: mb.get(n) }];
    });
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x) => x && typeof x === 'object')) {
    return a.flatMap((x, i) => fieldChanges(x, b[i], `${base}[${i}]`));
  }
  return [{ field: base, old: a, new: b }];
}

/** The object without its name, for finding renames (same content, new name). */
function renameKey(o: ReviewObject): string {
  const m = JSON.parse(JSON.stringify(o.manifest));
  delete m.metadata.name;
  return `${o.env}|${o.chart}|${JSON.stringify(m)}`;
}

const PSS_LEVEL: Record<string, number> = { privileged: 0, baseline: 1, restricted: 2 };
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

function containers(m: any): any[] {
  const spec = m.kind === 'CronJob' ? m.spec?.jobTemplate?.spec?.template?.spec : m.kind === 'Pod' ? m.spec : m.spec?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

function rbacRules(m: any): Set<string> {
  const out = new Set<string>();
  for (const r of m?.rules ?? []) {
    for (const g of r.apiGroups ?? ['']) for (const res of [...(r.resources ?? []), ...(r.nonResourceURLs ?? [])]) for (const v of r.verbs ?? []) {
      out.add(`${v} ${g ? `${g}/` : ''}${res}${r.resourceNames?.length ? `(${r.resourceNames.join(',')})` : ''}`);
    }
  }
  return out;
}

/** Compares two synthesized outputs (each object with its environment, chart and construct path). */
export function compare(base: readonly ReviewObject[], head: readonly ReviewObject[]): Diff {
  const before = new Map(base.map((o) => [identity(o), o]));
  const after = new Map(head.map((o) => [identity(o), o]));
  const changes: ObjectChange[] = [];
  const risks: Risk[] = [];
  const risk = (kind: RiskKind, o: ReviewObject, message: string) => risks.push({ kind, env: o.env, chart: o.chart, object: describeObject(o.manifest), path: o.path, message });

  let removed = base.filter((o) => !after.has(identity(o)));
  let added = head.filter((o) => !before.has(identity(o)));
  // Renames: a removed and an added object of the same environment and chart with the same content.
  const removedByContent = new Map<string, ReviewObject[]>();
  for (const o of removed) removedByContent.set(renameKey(o), [...(removedByContent.get(renameKey(o)) ?? []), o]);
  const renamed: [ReviewObject, ReviewObject][] = [];
  for (const o of added) {
    const match = removedByContent.get(renameKey(o))?.shift();
    if (match) renamed.push([match, o]);
  }
  const renamedOld = new Set(renamed.map(([a]) => a));
  const renamedNew = new Set(renamed.map(([, b]) => b));
  removed = removed.filter((o) => !renamedOld.has(o));
  added = added.filter((o) => !renamedNew.has(o));

  const hpaTargets = new Set(head.filter((o) => o.manifest.kind === 'HorizontalPodAutoscaler')
    .map((o) => `${o.env}|${o.manifest.metadata?.namespace ?? ''}|${o.manifest.spec?.scaleTargetRef?.kind}|${o.manifest.spec?.scaleTargetRef?.name}`));
  const underHpa = (o: ReviewObject) => hpaTargets.has(`${o.env}|${o.manifest.metadata?.namespace ?? ''}|${o.manifest.kind}|${o.manifest.metadata?.name}`);
  const isLb = (m: any) => m?.kind === 'Service' && m.spec?.type === 'LoadBalancer';
  const lbDelta: Record<string, number> = {};
  const bump = (env: string, n: number) => { lbDelta[env] = (lbDelta[env] ?? 0) + n; };

  for (const o of removed) {
    changes.push({ kind: 'removed', env: o.env, chart: o.chart, object: describeObject(o.manifest), path: o.path, fields: [] });
    risk('removed', o, 'removed: kubectl apply leaves it in the cluster unless the apply prunes (--prune --applyset)');
    if (isLb(o.manifest)) bump(o.env, -1);
  }
  for (const o of added) {
    changes.push({ kind: 'added', env: o.env, chart: o.chart, object: describeObject(o.manifest), path: o.path, fields: [] });
    if (isLb(o.manifest)) { bump(o.env, 1); risk('new-load-balancer', o, 'new LoadBalancer: one more forwarding rule and target pool'); }
    if (WORKLOADS.has(o.manifest.kind) && o.manifest.spec?.replicas !== undefined && underHpa(o)) {
      risk('replicas-under-hpa', o, `sets spec.replicas ${o.manifest.spec.replicas} while a HorizontalPodAutoscaler scales it: every apply resets the autoscaler's count`);
    }
    if (['Role', 'ClusterRole'].includes(o.manifest.kind)) {
      const rules = [...rbacRules(o.manifest)];
      risk('rbac-widened', o, `new ${o.manifest.kind} granting ${rules.join(', ') || 'nothing'}${rules.some((r) => r.includes('*')) ? ' (wildcard)' : ''}`);
    }
    if (['RoleBinding', 'ClusterRoleBinding'].includes(o.manifest.kind)) {
      risk('rbac-widened', o, `new binding of ${o.manifest.roleRef?.kind} ${o.manifest.roleRef?.name} to ${(o.manifest.subjects ?? []).map((s: any) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`).join(', ')}`);
    }
  }
  for (const [a, b] of renamed) {
    changes.push({ kind: 'renamed', env: b.env, chart: b.chart, object: describeObject(b.manifest), path: b.path, from: { object: describeObject(a.manifest), path: a.path }, fields: [] });
    risk('removed', a, `renamed to ${b.manifest.metadata?.name}: the old object stays in the cluster unless the apply prunes`);
  }

  for (const o of head) {
    const old = before.get(identity(o));
    if (!old) continue;
    const fields = fieldChanges(old.manifest, o.manifest).map((f) => maskField(o.manifest.kind, f));
    if (!fields.length) continue;
    changes.push({ kind: 'changed', env: o.env, chart: o.chart, object: describeObject(o.manifest), path: o.path, fields });
    const [m0, m1] = [old.manifest, o.manifest];
    const kind = m1.kind;
    const changed = (p: (m: any) => unknown) => !same(p(m0), p(m1));

    // Immutable fields: kubectl apply fails, the object has to be recreated.
    if (WORKLOADS.has(kind) && changed((m) => m.spec?.selector)) risk('immutable-field', o, `spec.selector changed from ${JSON.stringify(m0.spec?.selector)} to ${JSON.stringify(m1.spec?.selector)}: immutable, kubectl apply will fail`);
    if (kind === 'StatefulSet') {
      if (changed((m) => m.spec?.volumeClaimTemplates)) risk('immutable-field', o, 'spec.volumeClaimTemplates changed: immutable, kubectl apply will fail');
      if (changed((m) => m.spec?.serviceName)) risk('immutable-field', o, `spec.serviceName changed from ${m0.spec?.serviceName} to ${m1.spec?.serviceName}: immutable, kubectl apply will fail`);
    }
    if (kind === 'Job' && changed((m) => m.spec?.template)) risk('immutable-field', o, 'spec.template of a Job changed: immutable, kubectl apply will fail');
    if (kind === 'Service') {
      if (changed((m) => m.spec?.clusterIP)) risk('immutable-field', o, `spec.clusterIP changed from ${m0.spec?.clusterIP ?? '(assigned)'} to ${m1.spec?.clusterIP ?? '(assigned)'}: immutable, the Service must be recreated`);
      const t0 = m0.spec?.type ?? 'ClusterIP';
      const t1 = m1.spec?.type ?? 'ClusterIP';
      if (t0 !== t1 && (t0 === 'ExternalName' || t1 === 'ExternalName')) risk('immutable-field', o, `spec.type changed from ${t0} to ${t1}: needs the Service recreated`);
      if (t0 !== 'LoadBalancer' && t1 === 'LoadBalancer') { bump(o.env, 1); risk('new-load-balancer', o, `spec.type changed from ${t0} to LoadBalancer: one more forwarding rule and target pool`); }
      if (t0 === 'LoadBalancer' && t1 !== 'LoadBalancer') bump(o.env, -1);
    }
    if (kind === 'PersistentVolumeClaim' && changed((m) => ({ ...m.spec, resources: undefined }))) risk('immutable-field', o, 'a PersistentVolumeClaim spec field other than the requested size changed: immutable, kubectl apply will fail');

    if (WORKLOADS.has(kind) && m1.spec?.replicas !== undefined && m0.spec?.replicas === undefined && underHpa(o)) {
      risk('replicas-under-hpa', o, `spec.replicas ${m1.spec.replicas} appeared while a HorizontalPodAutoscaler scales it: every apply resets the autoscaler's count`);
    }

    if (['Role', 'ClusterRole'].includes(kind)) {
      const [r0, r1] = [rbacRules(m0), rbacRules(m1)];
      const wider = [...r1].filter((r) => !r0.has(r));
      if (wider.length) risk('rbac-widened', o, `now also grants ${wider.join(', ')}${wider.some((r) => r.includes('*')) ? ' (wildcard)' : ''}`);
    }
    if (['RoleBinding', 'ClusterRoleBinding'].includes(kind)) {
      const subj = (m: any) => new Set((m.subjects ?? []).map((s: any) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`));
      const [s0, s1] = [subj(m0), subj(m1)];
      const more = [...s1].filter((s) => !s0.has(s));
      if (more.length) risk('rbac-widened', o, `binds ${m1.roleRef?.kind} ${m1.roleRef?.name} to more subjects: ${more.join(', ')}`);
      if (changed((m) => m.roleRef)) risk('immutable-field', o, `roleRef changed from ${m0.roleRef?.name} to ${m1.roleRef?.name}: immutable, the binding must be recreated`);
    }

    if (kind === 'Namespace') {
      for (const mode of ['enforce', 'audit', 'warn']) {
        const key = `pod-security.kubernetes.io/${mode}`;
        const [l0, l1] = [m0.metadata?.labels?.[key], m1.metadata?.labels?.[key]];
        if (l0 !== l1 && (PSS_LEVEL[l1 ?? 'privileged'] ?? 0) < (PSS_LEVEL[l0 ?? 'privileged'] ?? 0)) risk('pod-security-weakened', o, `${key} lowered from ${l0} to ${l1 ?? '(unset: privileged)'}`);
      }
    }
    for (const f of fields) {
      const weak = (/securityContext\.(privileged|allowPrivilegeEscalation)$/.test(f.field) && f.new === true)
        || (/securityContext\.(runAsNonRoot|readOnlyRootFilesystem)$/.test(f.field) && f.old === true && f.new !== true)
        || (/securityContext\.capabilities\.add/.test(f.field) && f.new !== undefined)
        || (/securityContext\.(seccompProfile|capabilities\.drop)/.test(f.field) && f.old !== undefined && f.new === undefined)
        || (/spec\.(hostNetwork|hostPID|hostIPC)$/.test(f.field) && f.new === true)
        || (/\.hostPath/.test(f.field) && f.new !== undefined);
      if (weak) risk('pod-security-weakened', o, `${f.field}: ${JSON.stringify(f.old)} -> ${JSON.stringify(f.new)}`);
    }

    if (kind === 'NetworkPolicy') {
      for (const dir of ['ingress', 'egress'] as const) {
        const peers = dir === 'ingress' ? 'from' : 'to';
        const r0: any[] = m0.spec?.[dir] ?? [];
        const r1: any[] = m1.spec?.[dir] ?? [];
        const open = (r: any) => !r[peers] || r[peers].length === 0;
        const keys0 = new Set(r0.map((r) => JSON.stringify(r)));
        const newRules = r1.filter((r) => !keys0.has(JSON.stringify(r)));
        if (newRules.length) risk('network-policy-loosened', o, `${newRules.length} new ${dir} rule(s)${newRules.some(open) ? `, one with no ${peers} (any peer)` : ''}: ${JSON.stringify(newRules)}`);
      }
      const types0 = new Set(m0.spec?.policyTypes ?? []);
      for (const t of types0) if (!(m1.spec?.policyTypes ?? []).includes(t)) risk('network-policy-loosened', o, `policyTypes no longer include ${t}: that direction is open again`);
      if (changed((m) => m.spec?.podSelector)) risk('network-policy-loosened', o, `podSelector changed from ${JSON.stringify(m0.spec?.podSelector)} to ${JSON.stringify(m1.spec?.podSelector)}: some pods may lose the policy`);
    }

    const c0 = new Map(containers(m0).map((c) => [c.name, c.image]));
    for (const c of containers(m1)) {
      const was = c0.get(c.name);
      if (was !== undefined && was !== c.image) risk('image-changed', o, `container ${c.name}: ${was} -> ${c.image}`);
    }
  }
  for (const o of removed) {
    if (o.manifest.kind === 'NetworkPolicy') risk('network-policy-loosened', o, 'NetworkPolicy removed: the pods it selected lose its restrictions');
  }

  const order = (x: { env: string; chart: string; object: string }) => `${x.env}\u0000${x.chart}\u0000${x.object}`;
  const RANK: Record<ChangeKind, number> = { removed: 0, renamed: 1, changed: 2, added: 3 };
  changes.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : RANK[a.kind] - RANK[b.kind]));
  const RISK_ORDER: RiskKind[] = ['immutable-field', 'replicas-under-hpa', 'rbac-widened', 'pod-security-weakened', 'network-policy-loosened', 'new-load-balancer', 'image-changed', 'removed'];
  risks.sort((a, b) => RISK_ORDER.indexOf(a.kind) - RISK_ORDER.indexOf(b.kind) || (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return { changes, risks, loadBalancerDelta: Object.fromEntries(Object.entries(lbDelta).filter(([, n]) => n !== 0).sort()) };
}
