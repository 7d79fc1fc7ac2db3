/**
 * Every check the synth runs before it writes: a problem here stops the synth and nothing is
 * written. Each message names the environment, the object and the construct path that made it.
 */
import { Environment } from '../env';
import {
  CLUSTER_SCOPED, LabelSelector, PodTemplate, SynthObject, allContainers, describe, groupOf,
  mapSelector, podTemplateOf, selects,
} from './objects';
import { PodSecurityLevel, podSecurityViolations } from './pod-security';
import { networkProblems } from './network-checks';
import { quotaProblems } from './quota';
import { schemaProblems } from './schema';

export interface Problem {
  /** The object at fault, when there is one (quota problems concern the whole output). */
  readonly object?: SynthObject;
  readonly message: string;
}

/** Storage classes every GKE cluster has, which claims may name without the output creating them. */
export const DEFAULT_STORAGE_CLASSES = new Set(['standard', 'standard-rwo', 'premium-rwo']);
const RBAC_VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'use', 'bind', 'escalate', 'impersonate', 'approve', 'sign']);

export function formatProblem(env: Environment, p: Problem): string {
  return p.object
    ? `${env.name}: ${describe(p.object.manifest)} (${p.object.path}): ${p.message}`
    : `${env.name}: ${p.message}`;
}

interface Pods {
  readonly object: SynthObject;
  readonly template: PodTemplate;
}

/** Runs every check over one environment's output. */
export function checkObjects(env: Environment, objects: readonly SynthObject[]): Problem[] {
  const problems: Problem[] = [];
  const bad = (object: SynthObject | undefined, message: string) => problems.push({ object, message });

  const identities = new Map<string, SynthObject>();
  const byId = new Map<string, SynthObject>();
  const namespaces = new Map<string, PodSecurityLevel>();
  const podsByNs = new Map<string, Pods[]>();
  const named = (kind: string, ns: string | undefined, name: string | undefined) => byId.get(`${kind}|${ns ?? ''}|${name}`);

  for (const o of objects) {
    const m = o.manifest;
    for (const msg of schemaProblems(m)) bad(o, msg);
    const ns = m.metadata?.namespace;
    const identity = `${groupOf(m.apiVersion)}|${m.kind}|${ns ?? ''}|${m.metadata?.name}`;
    const first = identities.get(identity);
    if (first) bad(o, `has the same group/kind/namespace/name as the object made at ${first.path}`);
    else identities.set(identity, o);
    byId.set(`${m.kind}|${ns ?? ''}|${m.metadata?.name}`, o);
    if (m.kind === 'Namespace') {
      namespaces.set(m.metadata.name!, (m.metadata.labels?.['pod-security.kubernetes.io/enforce'] as PodSecurityLevel) ?? 'privileged');
    }
    const template = podTemplateOf(m);
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

  for (const o of objects) {
    const m = o.manifest;
    const ns = m.metadata?.namespace;
    const spec = m.spec ?? {};

    // Scope and namespace.
    if (CLUSTER_SCOPED.has(m.kind)) {
      if (ns !== undefined) bad(o, `is cluster-scoped but says namespace ${ns}`);
    } else if (ns === undefined) {
      bad(o, 'has no namespace: it would land in whatever namespace the kubectl context names');
    } else if (ns !== 'default' && !namespaces.has(ns)) {
      bad(o, `is in namespace ${ns}, which the output does not create`);
    }

    // Workloads: selector, pod security, resources, references.
    const tpl = podTemplateOf(m);
    if (tpl) {
      if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(m.kind) && !selects(spec.selector, tpl.labels)) {
        bad(o, `selector ${JSON.stringify(spec.selector ?? null)} does not match its own pod template labels ${JSON.stringify(tpl.labels)}`);
      }
      const level: PodSecurityLevel = ns === undefined || ns === 'default' ? 'restricted' : namespaces.get(ns) ?? 'restricted';
      for (const v of podSecurityViolations(tpl.spec, tpl.annotations, level)) bad(o, `pod security "${level}" (enforced on namespace ${ns ?? 'default'}): ${v}`);
      if (level !== 'restricted') {
        // A weaker namespace still has to be justified: only a privileged pod may live there.
        const restricted = podSecurityViolations(tpl.spec, tpl.annotations, 'restricted');
        if (restricted.length === 0) bad(o, `runs in namespace ${ns}, which enforces only "${level}", yet the pod passes "restricted": the namespace should enforce restricted`);
      }
      for (const c of allContainers(tpl.spec)) {
        const r = c.resources ?? {};
        if (r.requests?.cpu === undefined || r.requests?.memory === undefined) bad(o, `container ${c.name} does not request both cpu and memory`);
        if (r.limits?.memory === undefined) bad(o, `container ${c.name} has no memory limit`);
        if (typeof c.image !== 'string' || /:latest$/.test(c.image) || !/[:@]/.test(c.image.slice(c.image.lastIndexOf('/') + 1))) {
          bad(o, `container ${c.name} image ${JSON.stringify(c.image)} is not pinned to a tag or digest (latest is not a pin)`);
        }
        for (const ref of [...(c.envFrom ?? []).map((e: any) => e.configMapRef), ...(c.env ?? []).map((e: any) => e.valueFrom?.configMapKeyRef)]) {
          if (ref && !ref.optional && !named('ConfigMap', ns, ref.name)) bad(o, `container ${c.name} reads ConfigMap ${ref.name}, which is not in the output`);
        }
      }
      const sa = tpl.spec.serviceAccountName;
      if (sa && sa !== 'default' && !named('ServiceAccount', ns, sa)) bad(o, `uses ServiceAccount ${sa}, which is not in the output`);
      const claims = new Set((spec.volumeClaimTemplates ?? []).map((c: any) => c.metadata?.name));
      for (const v of tpl.spec.volumes ?? []) {
        if (v.configMap && !v.configMap.optional && !named('ConfigMap', ns, v.configMap.name)) bad(o, `volume ${v.name} mounts ConfigMap ${v.configMap.name}, which is not in the output`);
        if (v.persistentVolumeClaim && !named('PersistentVolumeClaim', ns, v.persistentVolumeClaim.claimName)) bad(o, `volume ${v.name} mounts PersistentVolumeClaim ${v.persistentVolumeClaim.claimName}, which is not in the output`);
      }
      for (const c of allContainers(tpl.spec)) {
        for (const mount of c.volumeMounts ?? []) {
          if (!(tpl.spec.volumes ?? []).some((v: any) => v.name === mount.name) && !claims.has(mount.name)) bad(o, `container ${c.name} mounts volume ${mount.name}, which the pod does not define`);
        }
      }
    }

    if (m.kind === 'StatefulSet') {
      const svc = named('Service', ns, spec.serviceName);
      if (!svc) bad(o, `serviceName ${spec.serviceName} is not a Service in the output`);
      else if (svc.manifest.spec?.clusterIP !== 'None') bad(o, `serviceName ${spec.serviceName} is not a headless Service (clusterIP: None)`);
      for (const claim of spec.volumeClaimTemplates ?? []) {
        const sc = claim.spec?.storageClassName;
        if (sc !== undefined && !DEFAULT_STORAGE_CLASSES.has(sc) && !named('StorageClass', undefined, sc)) {
          bad(o, `volume claim ${claim.metadata?.name} uses StorageClass ${sc}, which is neither in the output nor a GKE default (${[...DEFAULT_STORAGE_CLASSES].join(', ')})`);
        }
      }
    }
    if (m.kind === 'PersistentVolumeClaim') {
      const sc = spec.storageClassName;
      if (sc !== undefined && !DEFAULT_STORAGE_CLASSES.has(sc) && !named('StorageClass', undefined, sc)) bad(o, `uses StorageClass ${sc}, which is neither in the output nor a GKE default`);
    }

    if (m.kind === 'Service' && spec.type !== 'ExternalName') {
      const selector = mapSelector(spec.selector);
      if (!selector) {
        bad(o, 'has no selector: mega8s Services select the pods they front');
      } else {
        const pods = podsMatching(ns, selector);
        if (pods.length === 0) {
          bad(o, `selector ${JSON.stringify(spec.selector)} matches no pod template in namespace ${ns}`);
        } else {
          for (const port of spec.ports ?? []) {
            const target = port.targetPort ?? port.port;
            for (const p of pods) {
              const ports = (p.template.spec.containers ?? []).flatMap((c: any) => c.ports ?? []);
              const found = ports.some((cp: any) => (typeof target === 'number' ? cp.containerPort === target : cp.name === target));
              if (!found) bad(o, `port ${port.name ?? port.port} targets ${JSON.stringify(target)}, which is not a container port of ${describe(p.object.manifest)}`);
            }
          }
        }
      }
    }

    if (m.kind === 'PodDisruptionBudget' && podsMatching(ns, spec.selector).length === 0) {
      bad(o, `selector ${JSON.stringify(spec.selector ?? null)} matches no pod template in namespace ${ns}`);
    }
    if (m.kind === 'NetworkPolicy') {
      const sel = spec.podSelector ?? {};
      if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length > 0 && podsMatching(ns, sel).length === 0) {
        bad(o, `podSelector ${JSON.stringify(sel)} matches no pod template in namespace ${ns}`);
      }
    }
    if (m.kind === 'HorizontalPodAutoscaler') {
      const ref = spec.scaleTargetRef ?? {};
      if (!named(ref.kind, ns, ref.name)) bad(o, `scaleTargetRef ${ref.kind} ${ref.name} is not in the output`);
    }

    if (m.kind === 'Role' || m.kind === 'ClusterRole') {
      (m.rules ?? []).forEach((rule: any, i: number) => {
        for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs']) {
          if ((rule[field] ?? []).some((x: string) => x.includes('*'))) bad(o, `rule ${i} uses a wildcard in ${field}: name exact ${field}`);
        }
        for (const verb of rule.verbs ?? []) if (!verb.includes('*') && !RBAC_VERBS.has(verb)) bad(o, `rule ${i} has unknown verb ${JSON.stringify(verb)}`);
        if ((rule.resources ?? []).includes('secrets')) bad(o, `rule ${i} grants access to secrets`);
      });
    }
    if (m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding') {
      const ref = m.roleRef ?? {};
      if (ref.name === 'cluster-admin') bad(o, 'binds cluster-admin');
      else if (!named(ref.kind, ref.kind === 'Role' ? ns : undefined, ref.name)) bad(o, `roleRef ${ref.kind} ${ref.name} is not in the output`);
      for (const s of m.subjects ?? []) {
        if (s.kind === 'ServiceAccount' && !named('ServiceAccount', s.namespace ?? ns, s.name)) bad(o, `subject ServiceAccount ${s.namespace ?? ns}/${s.name} is not in the output`);
      }
    }
  }

  for (const msg of quotaProblems(env, objects)) bad(undefined, msg);
  for (const p of networkProblems(objects)) bad(p.object, p.message);
  return problems;
}

