import { createHash } from 'crypto';
import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { PropError, show } from './validate';
import type { EnvVar } from './workload';

/**
 * Rolling a workload when — and only when — the configuration it consumes changes.
 *
 * Kubernetes rolls pods when their template changes. A ConfigMap's content is not part of the
 * template, so editing it rolls nothing; stamping a date into the template (the old `UPDATED_AT`
 * trick) rolls everything on every deploy and makes the output differ on every run. Instead, the
 * pod template carries an annotation with a SHA-256 of the configuration: the same configuration
 * gives the same bytes, a changed ConfigMap or env var gives a new hash and a rollout.
 *
 * What is hashed: the `data` and `binaryData` of the ConfigMaps (with their names), the env vars
 * in order (values, and the references of `valueFrom` — never a Secret's content, which is created
 * outside mega8s and unknown at synth time: after rotating a Secret, `kubectl rollout restart`),
 * and any extra JSON-shaped `data`. Object keys are sorted before hashing, so the order in which a
 * ConfigMap's keys were written does not matter; the order of env vars does (`$(VAR)` references
 * depend on it).
 */
export const CONFIG_HASH_ANNOTATION = 'mega8s.io/config-hash';

/** Any ApiObject of kind ConfigMap. */
export type ConfigMapObject = ApiObject;

/** What a workload's configuration is made of. */
export interface ConfigHashSources {
  /**
   * ConfigMaps the workload consumes (volumes, `envFrom`, `configMapKeyRef`).
   * @default none (`addConfigHash` finds the ones its pod template references)
   */
  readonly configMaps?: readonly ConfigMapObject[];
  /**
   * Environment variables, in order, or a name -> value map (hashed sorted by name).
   * @default none (`addConfigHash` reads the pod template's containers)
   */
  readonly env?: readonly EnvVar[] | Readonly<Record<string, string>>;
  /**
   * Any other configuration, as JSON-shaped data.
   * @default none
   */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** JSON with object keys sorted (arrays keep their order); `undefined` members are dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot hash ${value}: not a finite number`);
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new Error(`cannot hash a ${typeof value}: configuration must be JSON-shaped`);
  }
  return value;
}

function envEntries(env: ConfigHashSources['env']): unknown[] {
  if (env === undefined) return [];
  if (Array.isArray(env)) return env.map((e) => ({ name: e.name, value: e.value, valueFrom: e.valueFrom }));
  const map = env as Readonly<Record<string, string>>;
  return Object.keys(map).sort().map((name) => ({ name, value: map[name] }));
}

function configMapEntry(cm: ConfigMapObject): unknown {
  if (cm.kind !== 'ConfigMap') throw new PropError(cm, 'configMaps', `configMaps names ${cm.kind} ${show(cm.name)}, which is not a ConfigMap`);
  const json = cm.toJson();
  return { name: cm.name, data: json.data ?? {}, binaryData: json.binaryData ?? {} };
}

/**
 * The SHA-256 (64 hex digits) of a workload's configuration. Deterministic: it depends only on
 * the content of `sources`, never on time, order of construction or construct paths.
 */
export function configHash(sources: ConfigHashSources): string {
  const configMaps = (sources.configMaps ?? []).map(configMapEntry)
    .sort((a: any, b: any) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const text = canonicalJson({ configMaps, env: envEntries(sources.env), data: sources.data ?? {} });
  return createHash('sha256').update(text).digest('hex');
}

/** `{ 'mega8s.io/config-hash': <hash> }`, to merge into a pod template's annotations. */
export function configHashAnnotations(sources: ConfigHashSources): Record<string, string> {
  return { [CONFIG_HASH_ANNOTATION]: configHash(sources) };
}

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** Names of the ConfigMaps a pod spec (JSON) reads, in order of first reference. */
export function referencedConfigMaps(podSpec: any): string[] {
  const names: string[] = [];
  const add = (n: unknown) => { if (typeof n === 'string' && !names.includes(n)) names.push(n); };
  for (const v of podSpec?.volumes ?? []) {
    add(v.configMap?.name);
    for (const s of v.projected?.sources ?? []) add(s.configMap?.name);
  }
  for (const c of [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])]) {
    for (const e of c.envFrom ?? []) add(e.configMapRef?.name);
    for (const e of c.env ?? []) add(e.valueFrom?.configMapKeyRef?.name);
  }
  return names;
}

/**
 * Annotates the pod template of an L1 workload (Deployment, StatefulSet, DaemonSet, ReplicaSet,
 * Job, CronJob) with the hash of its configuration, and returns the hash.
 *
 * Left out, `sources.env` is every container's `env` and `envFrom` (init containers included) as
 * the template has them now, and `sources.configMaps` is every ConfigMap of the workload's chart
 * that the template references by name. Call it once the workload and its ConfigMaps are complete:
 * the hash is computed now, not at synth time.
 */
export function addConfigHash(workload: ApiObject, sources: ConfigHashSources = {}): string {
  const path = TEMPLATE_PATHS[workload.kind];
  if (!path) {
    throw new PropError(workload, 'workload', `workload ${show(workload.kind)} has no pod template: expected one of ${Object.keys(TEMPLATE_PATHS).join(', ')}`);
  }
  const json = workload.toJson();
  let template: any = json;
  for (const p of path) template = template?.[p];
  const spec = template?.spec ?? {};

  let configMaps = sources.configMaps;
  if (configMaps === undefined) {
    const wanted = referencedConfigMaps(spec);
    const chart = Chart.of(workload);
    configMaps = chart.node.findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && c.kind === 'ConfigMap' && Chart.of(c) === chart && wanted.includes(c.name));
  }
  const containers: any[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const env = sources.env ?? containers.flatMap((c) => c.env ?? []);
  // envFrom entries have no name: what they reference is the configuration (the ConfigMaps
  // themselves are hashed above).
  const envFrom = sources.env === undefined ? containers.flatMap((c) => c.envFrom ?? []) : [];
  const data = envFrom.length ? { ...sources.data, envFrom } : sources.data;
  const hash = configHash({ configMaps, env, data });

  const pointer = '/' + path.join('/');
  if (template?.metadata === undefined) {
    workload.addJsonPatch(JsonPatch.add(`${pointer}/metadata`, { annotations: { [CONFIG_HASH_ANNOTATION]: hash } }));
  } else if (template.metadata.annotations === undefined) {
    workload.addJsonPatch(JsonPatch.add(`${pointer}/metadata/annotations`, { [CONFIG_HASH_ANNOTATION]: hash }));
  } else {
    workload.addJsonPatch(JsonPatch.add(`${pointer}/metadata/annotations/${CONFIG_HASH_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`, hash));
  }
  return hash;
}
