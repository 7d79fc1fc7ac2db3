/**
 * The object checks mega8s runs over synthesized output: schema, identity, namespaces, selectors,
 * Pod Security, resources, images, references, storage, RBAC, autoscaling and cloud quotas. They
 * look only at the objects (plain JSON manifests) and at the options given, so the same checks run
 * in the mega8s app's synth, in `checkApp(app)` and in the cdk8s validation plugin.
 */
import {
  CLUSTER_SCOPED, LabelSelector, PodTemplate, SynthObject, allContainers, describe, groupOf,
  mapSelector, podTemplateOf, selects,
} from './objects';
import { PodSecurityLevel, podSecurityViolations } from './pod-security';
import { networkProblems } from './network';
import { QuotaLimits, QuotaName, quotaProblems } from './quota';
import { schemaProblems } from './schema';

/** What a problem is about; the validation plugin reports one rule per kind of problem. */
export enum CheckRule {
  SCHEMA = 'schema',
  IDENTITY = 'identity',
  NAMESPACE = 'namespace',
  SELECTOR = 'selector',
  POD_SECURITY = 'pod-security',
  RESOURCES = 'resources',
  IMAGE = 'image',
  REFERENCE = 'reference',
  STORAGE = 'storage',
  SERVICE = 'service',
  RBAC = 'rbac',
  AUTOSCALING = 'autoscaling',
  NETWORK = 'network',
  QUOTA = 'quota',
  CONSTRUCT = 'construct',
  APPLYSET = 'applyset',
}

export interface Problem {
  readonly rule: CheckRule;
  /** The object at fault, when there is one (quota problems concern the whole output). */
  readonly object?: SynthObject;
  readonly message: string;
}

/** Storage classes every GKE cluster has, which claims may name without the output creating them. */
export const DEFAULT_STORAGE_CLASSES: readonly string[] = ['standard', 'standard-rwo', 'premium-rwo'];
const RBAC_VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'use', 'bind', 'escalate', 'impersonate', 'approve', 'sign']);

export interface CheckOptions {
  /** Cloud quotas the output must fit in. @default none: quotas are not checked */
  readonly quotas?: QuotaLimits;
  /** Where the quota limits come from, named in quota messages (`envs/prod.env`). @default none */
  readonly quotaSource?: string;
  /** How quota messages name each quota, e.g. the setting that declares it. @default the quota's own name (`cpus`) */
  readonly quotaNames?: { readonly [Q in QuotaName]?: string };
  /**
   * Storage classes the cluster already has, which claims may name without the output creating them.
   * @default DEFAULT_STORAGE_CLASSES (GKE's standard, standard-rwo, premium-rwo)
   */
  readonly defaultStorageClasses?: readonly string[];
}

/** `Kind namespace/name (construct/path): message`, or the bare message when no object is at fault. */
export function formatProblem(p: Problem): string {
  return p.object ? `${describe(p.object.manifest)} (${p.object.path}): ${p.message}` : p.message;
}

/** Throws a lowercase message naming the option, the value and what was expected. */
export function validateCheckOptions(options: CheckOptions, where = 'check options'): void {
  const fail = (what: string) => { throw new Error(`${where}: ${what}`); };
  if (options === null || typeof options !== 'object') fail(`${JSON.stringify(options)} is not an object`);
  const known = ['quotas', 'quotaSource', 'quotaNames', 'defaultStorageClasses'];
  for (const k of Object.keys(options)) if (!known.includes(k)) fail(`unknown option ${JSON.stringify(k)}: expected one of ${known.join(', ')}`);
  const quotaNames = ['forwardingRules', 'targetPools', 'firewalls', 'cpus', 'diskGb'];
  for (const [field, value] of [['quotas', options.quotas], ['quotaNames', options.quotaNames]] as const) {
    if (value === undefined) continue;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${field} ${JSON.stringify(value)} is not an object`);
    for (const [k, v] of Object.entries(value as object)) {
      if (!quotaNames.includes(k)) fail(`${field}.${k} is not a quota: expected one of ${quotaNames.join(', ')}`);
      if (field === 'quotas' && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) fail(`quotas.${k} ${typeof v === 'number' ? String(v) : JSON.stringify(v)} is not a finite number >= 0`);
      if (field === 'quotaNames' && (typeof v !== 'string' || v.trim() === '')) fail(`quotaNames.${k} ${JSON.stringify(v)} is not a non-empty string`);
    }
  }
  if (options.quotaSource !== undefined && (typeof options.quotaSource !== 'string' || options.quotaSource.trim() === '')) {
    fail(`quotaSource ${JSON.stringify(options.quotaSource)} is not a non-empty string`);
  }
  const sc = options.defaultStorageClasses;
  if (sc !== undefined && (!Array.isArray(sc) || sc.some((x) => typeof x !== 'string' || x.trim() === ''))) {
    fail(`defaultStorageClasses ${JSON.stringify(sc)} is not a list of storage class names`);
  }
}

interface Pods {
  readonly object: SynthObject;
  readonly template: PodTemplate;
}

/** Runs every check over one output (all the objects that are applied together). */
export function checkObjects(objects: readonly SynthObject[], options: CheckOptions = {}): Problem[] {
  validateCheckOptions(options);
  const storageClasses = new Set(options.defaultStorageClasses ?? DEFAULT_STORAGE_CLASSES);
  const problems: Problem[] = [];
  const bad = (rule: CheckRule, object: SynthObject | undefined, message: string) => problems.push({ rule, object, message });

  const identities = new Map<string, SynthObject>();
  const byId = new Map<string, SynthObject>();
  const namespaces = new Map<string, PodSecurityLevel>();
  const podsByNs = new Map<string, Pods[]>();
  const named = (kind: string, ns: string | undefined, name: string | undefined) => byId.get(`${kind}|${ns ?? ''}|${name}`);

  // Each object's pod template, looked up once for the rules below.
  const templates: (PodTemplate | undefined)[] = [];
  for (const o of objects) {
    const m = o.manifest;
    for (const msg of schemaProblems(m)) bad(CheckRule.SCHEMA, o, msg);
    const ns = m.metadata?.namespace;
    const identity = `${groupOf(m.apiVersion)}|${m.kind}|${ns ?? ''}|${m.metadata?.name}`;
    const first = identities.get(identity);
    if (first) bad(CheckRule.IDENTITY, o, `has the same group/kind/namespace/name as the object made at ${first.path}`);
    else identities.set(identity, o);
    byId.set(`${m.kind}|${ns ?? ''}|${m.metadata?.name}`, o);
    if (m.kind === 'Namespace') {
      namespaces.set(m.metadata.name!, (m.metadata.labels?.['pod-security.kubernetes.io/enforce'] as PodSecurityLevel) ?? 'privileged');
    }
    const template = podTemplateOf(m);
    templates.push(template);
    if (template) {
      const list = podsByNs.get(ns ?? '') ?? [];
      list.push({ object: o, template });
      podsByNs.set(ns ?? '', list);
    }
  }

  // Pods indexed by namespace and label, so that matching 10,000 Services to 10,000 pod templates
  // looks at the candidates sharing one of the selector's labels instead of every pod.
  const podsByLabel = new Map<string, Pods[]>();
  for (const [ns, pods] of podsByNs) {
    for (const p of pods) {
      for (const [k, v] of Object.entries(p.template.labels)) {
        const key = `${ns}|${k}=${v}`;
        const list = podsByLabel.get(key);
        if (list) list.push(p);
        else podsByLabel.set(key, [p]);
      }
    }
  }
  const podsMatching = (ns: string | undefined, selector: LabelSelector | undefined) => {
    let candidates = podsByNs.get(ns ?? '') ?? [];
    for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) {
      const list = podsByLabel.get(`${ns ?? ''}|${k}=${v}`) ?? [];
      if (list.length < candidates.length) candidates = list;
    }
    return candidates.filter((p) => selects(selector, p.template.labels));
  };

  objects.forEach((o, i) => {
    const m = o.manifest;
    const ns = m.metadata?.namespace;
    const spec = m.spec ?? {};

    // Scope and namespace.
    if (CLUSTER_SCOPED.has(m.kind)) {
      if (ns !== undefined) bad(CheckRule.NAMESPACE, o, `is cluster-scoped but says namespace ${ns}`);
    } else if (ns === undefined) {
      bad(CheckRule.NAMESPACE, o, 'has no namespace: it would land in whatever namespace the kubectl context names');
    } else if (ns !== 'default' && !namespaces.has(ns)) {
      bad(CheckRule.NAMESPACE, o, `is in namespace ${ns}, which the output does not create`);
    }

    // Workloads: selector, pod security, resources, references.
    const tpl = templates[i];
    if (tpl) {
      if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(m.kind) && !selects(spec.selector, tpl.labels)) {
        bad(CheckRule.SELECTOR, o, `selector ${JSON.stringify(spec.selector ?? null)} does not match its own pod template labels ${JSON.stringify(tpl.labels)}`);
      }
      const level: PodSecurityLevel = ns === undefined || ns === 'default' ? 'restricted' : namespaces.get(ns) ?? 'restricted';
      for (const v of podSecurityViolations(tpl.spec, tpl.annotations, level)) bad(CheckRule.POD_SECURITY, o, `pod security "${level}" (enforced on namespace ${ns ?? 'default'}): ${v}`);
      if (level !== 'restricted') {
        // A weaker namespace still has to be justified: only a privileged pod may live there.
        const restricted = podSecurityViolations(tpl.spec, tpl.annotations, 'restricted');
        if (restricted.length === 0) bad(CheckRule.POD_SECURITY, o, `runs in namespace ${ns}, which enforces only "${level}", yet the pod passes "restricted": the namespace should enforce restricted`);
      }
      for (const c of allContainers(tpl.spec)) {
        const r = c.resources ?? {};
        if (r.requests?.cpu === undefined || r.requests?.memory === undefined) bad(CheckRule.RESOURCES, o, `container ${c.name} does not request both cpu and memory`);
        if (r.limits?.memory === undefined) bad(CheckRule.RESOURCES, o, `container ${c.name} has no memory limit`);
        if (typeof c.image !== 'string' || /:latest$/.test(c.image) || !/[:@]/.test(c.image.slice(c.image.lastIndexOf('/') + 1))) {
          bad(CheckRule.IMAGE, o, `container ${c.name} image ${JSON.stringify(c.image)} is not pinned to a tag or digest (latest is not a pin)`);
        }
        for (const ref of [...(c.envFrom ?? []).map((e: any) => e.configMapRef), ...(c.env ?? []).map((e: any) => e.valueFrom?.configMapKeyRef)]) {
          if (ref && !ref.optional && !named('ConfigMap', ns, ref.name)) bad(CheckRule.REFERENCE, o, `container ${c.name} reads ConfigMap ${ref.name}, which is not in the output`);
        }
      }
      const sa = tpl.spec.serviceAccountName;
      if (sa && sa !== 'default' && !named('ServiceAccount', ns, sa)) bad(CheckRule.REFERENCE, o, `uses ServiceAccount ${sa}, which is not in the output`);
      const claims = new Set((spec.volumeClaimTemplates ?? []).map((c: any) => c.metadata?.name));
      for (const v of tpl.spec.volumes ?? []) {
        if (v.configMap && !v.configMap.optional && !named('ConfigMap', ns, v.configMap.name)) bad(CheckRule.REFERENCE, o, `volume ${v.name} mounts ConfigMap ${v.configMap.name}, which is not in the output`);
        if (v.persistentVolumeClaim && !named('PersistentVolumeClaim', ns, v.persistentVolumeClaim.claimName)) bad(CheckRule.REFERENCE, o, `volume ${v.name} mounts PersistentVolumeClaim ${v.persistentVolumeClaim.claimName}, which is not in the output`);
      }
      for (const c of allContainers(tpl.spec)) {
        for (const mount of c.volumeMounts ?? []) {
          if (!(tpl.spec.volumes ?? []).some((v: any) => v.name === mount.name) && !claims.has(mount.name)) bad(CheckRule.REFERENCE, o, `container ${c.name} mounts volume ${mount.name}, which the pod does not define`);
        }
      }
    }

    if (m.kind === 'StatefulSet') {
      const svc = named('Service', ns, spec.serviceName);
      if (!svc) bad(CheckRule.REFERENCE, o, `serviceName ${spec.serviceName} is not a Service in the output`);
      else if (svc.manifest.spec?.clusterIP !== 'None') bad(CheckRule.REFERENCE, o, `serviceName ${spec.serviceName} is not a headless Service (clusterIP: None)`);
      for (const claim of spec.volumeClaimTemplates ?? []) {
        const sc = claim.spec?.storageClassName;
        if (sc !== undefined && !storageClasses.has(sc) && !named('StorageClass', undefined, sc)) {
          bad(CheckRule.STORAGE, o, `volume claim ${claim.metadata?.name} uses StorageClass ${sc}, which is neither in the output nor a default storage class of the cluster (${[...storageClasses].join(', ')})`);
        }
      }
    }
    if (m.kind === 'PersistentVolumeClaim') {
      const sc = spec.storageClassName;
      if (sc !== undefined && !storageClasses.has(sc) && !named('StorageClass', undefined, sc)) bad(CheckRule.STORAGE, o, `uses StorageClass ${sc}, which is neither in the output nor a default storage class of the cluster (${[...storageClasses].join(', ')})`);
    }

    if (m.kind === 'Service' && spec.type !== 'ExternalName') {
      const selector = mapSelector(spec.selector);
      if (!selector) {
        bad(CheckRule.SERVICE, o, 'has no selector: mega8s Services select the pods they front');
      } else {
        const pods = podsMatching(ns, selector);
        if (pods.length === 0) {
          bad(CheckRule.SERVICE, o, `selector ${JSON.stringify(spec.selector)} matches no pod template in namespace ${ns}`);
        } else {
          for (const port of spec.ports ?? []) {
            const target = port.targetPort ?? port.port;
            for (const p of pods) {
              const ports = (p.template.spec.containers ?? []).flatMap((c: any) => c.ports ?? []);
              const found = ports.some((cp: any) => (typeof target === 'number' ? cp.containerPort === target : cp.name === target));
              if (!found) bad(CheckRule.SERVICE, o, `port ${port.name ?? port.port} targets ${JSON.stringify(target)}, which is not a container port of ${describe(p.object.manifest)}`);
            }
          }
        }
      }
    }

    if (m.kind === 'PodDisruptionBudget' && podsMatching(ns, spec.selector).length === 0) {
      bad(CheckRule.SELECTOR, o, `selector ${JSON.stringify(spec.selector ?? null)} matches no pod template in namespace ${ns}`);
    }
    if (m.kind === 'NetworkPolicy') {
      const sel = spec.podSelector ?? {};
      if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length > 0 && podsMatching(ns, sel).length === 0) {
        bad(CheckRule.SELECTOR, o, `podSelector ${JSON.stringify(sel)} matches no pod template in namespace ${ns}`);
      }
    }
    if (m.kind === 'HorizontalPodAutoscaler') {
      const ref = spec.scaleTargetRef ?? {};
      if (!named(ref.kind, ns, ref.name)) bad(CheckRule.AUTOSCALING, o, `scaleTargetRef ${ref.kind} ${ref.name} is not in the output`);
    }

    if (m.kind === 'Role' || m.kind === 'ClusterRole') {
      (m.rules ?? []).forEach((rule: any, i: number) => {
        for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs']) {
          if ((rule[field] ?? []).some((x: string) => x.includes('*'))) bad(CheckRule.RBAC, o, `rule ${i} uses a wildcard in ${field}: name exact ${field}`);
        }
        for (const verb of rule.verbs ?? []) if (!verb.includes('*') && !RBAC_VERBS.has(verb)) bad(CheckRule.RBAC, o, `rule ${i} has unknown verb ${JSON.stringify(verb)}`);
        if ((rule.resources ?? []).includes('secrets')) bad(CheckRule.RBAC, o, `rule ${i} grants access to secrets`);
      });
    }
    if (m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding') {
      const ref = m.roleRef ?? {};
      if (ref.name === 'cluster-admin') bad(CheckRule.RBAC, o, 'binds cluster-admin');
      else if (!named(ref.kind, ref.kind === 'Role' ? ns : undefined, ref.name)) bad(CheckRule.RBAC, o, `roleRef ${ref.kind} ${ref.name} is not in the output`);
      for (const s of m.subjects ?? []) {
        if (s.kind === 'ServiceAccount' && !named('ServiceAccount', s.namespace ?? ns, s.name)) bad(CheckRule.RBAC, o, `subject ServiceAccount ${s.namespace ?? ns}/${s.name} is not in the output`);
      }
    }
  });

  // Autoscaling: one autoscaler per workload; it owns the replica count and can compute the
  // utilization it scales on.
  const scaledBy = new Map<string, SynthObject>();
  for (const o of objects) {
    const m = o.manifest;
    if (m.kind !== 'HorizontalPodAutoscaler') continue;
    const ns = m.metadata?.namespace;
    const ref = m.spec?.scaleTargetRef ?? {};
    const target = named(ref.kind, ns, ref.name);
    if (!target) continue;
    const key = `${ref.kind}|${ns ?? ''}|${ref.name}`;
    const first = scaledBy.get(key);
    if (first) {
      bad(CheckRule.AUTOSCALING, o, `scales ${describe(target.manifest)}, which ${describe(first.manifest)} (${first.path}) already scales: two autoscalers would fight over its replicas`);
      continue;
    }
    scaledBy.set(key, o);
    const replicas = target.manifest.spec?.replicas;
    if (replicas !== undefined) {
      bad(CheckRule.AUTOSCALING, target, `sets spec.replicas ${JSON.stringify(replicas)}, but ${describe(m)} (${o.path}) scales it: every kubectl apply would reset the autoscaler's count; omit spec.replicas`);
    }
    const tpl = podTemplateOf(target.manifest);
    for (const c of tpl ? containersScaledOnCpu(m, tpl.spec) : []) {
      if (c.resources?.requests?.cpu === undefined) {
        bad(CheckRule.AUTOSCALING, o, `scales on cpu utilization, but container ${c.name} of ${describe(target.manifest)} requests no cpu: the autoscaler cannot compute its utilization`);
      }
    }
  }

  for (const msg of quotaProblems(objects, { limits: options.quotas, source: options.quotaSource, names: options.quotaNames })) bad(CheckRule.QUOTA, undefined, msg);
  for (const p of networkProblems(objects)) bad(CheckRule.NETWORK, p.object, p.message);
  return problems;
}

/**
 * The containers of `podSpec` whose cpu request an autoscaler needs: every app container when it
 * scales on the pods' cpu utilization (also its default when it names no metric), the named
 * container for a ContainerResource cpu utilization metric. Init containers do not count.
 */
function containersScaledOnCpu(hpa: any, podSpec: any): any[] {
  const containers: any[] = podSpec?.containers ?? [];
  if (hpa.apiVersion === 'autoscaling/v1') return containers;
  const metrics: any[] = hpa.spec?.metrics ?? [];
  if (metrics.length === 0) return containers;
  const out = new Set<any>();
  for (const metric of metrics) {
    const source = metric.type === 'Resource' ? metric.resource : metric.type === 'ContainerResource' ? metric.containerResource : undefined;
    if (source?.name !== 'cpu' || source.target?.type !== 'Utilization') continue;
    for (const c of containers) if (metric.type === 'Resource' || c.name === source.container) out.add(c);
  }
  return containers.filter((c) => out.has(c));
}

