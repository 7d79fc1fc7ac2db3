import { ApiObject, ApiObjectMetadataDefinition, ApiObjectProps, App, ImplicitTokenResolver, JsonPatch, Lazy, LazyResolver, NumberStringUnionResolver } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * An ApiObject whose body is plain JSON (objects, arrays, strings, numbers, booleans), as a
 * Kubernetes manifest is written. It is a full cdk8s ApiObject: `metadata`, `addJsonPatch`,
 * dependencies and custom resolvers all work.
 *
 * Why: cdk8s resolves every value of every object through the app's resolver chain, walking up
 * the construct tree for each one; for a fleet of 10,000 services that walk was ~3 s of a synth
 * (bench/). With only cdk8s's built-in resolvers and a plain-JSON body, that walk changes nothing
 * (Lazy, implicit tokens and number/string unions cannot occur in plain JSON), so `toJson` does
 * what cdk8s would do without it: sanitize (drop null/undefined, sort keys), apply JSON patches,
 * put apiVersion/kind/metadata first. Anything else (a custom resolver, a non-plain value that
 * slipped in) takes cdk8s's own path. plain-api-object.test.ts compares the two on every
 * construct of the library.
 */
export class PlainApiObject extends ApiObject {
  private readonly body: ApiObjectProps;
  private readonly ops: JsonPatch[] = [];

  constructor(scope: Construct, id: string, props: ApiObjectProps) {
    super(scope, id, props);
    this.body = props;
  }

  public addJsonPatch(...ops: JsonPatch[]): void {
    super.addJsonPatch(...ops);
    this.ops.push(...ops);
  }

  public toJson(): any {
    // (An inherited `resolve` function would make cdk8s treat every plain object as resolvable.)
    if (!onlyBuiltInResolvers(App.of(this) as App) || typeof (Object.prototype as any).resolve === 'function') return super.toJson();
    let json: any;
    try {
      json = this.plainJson();
    } catch (e) {
      // The same wrapping cdk8s gives a failed render.
      throw new Error(`Failed serializing construct at path '${this.node.path}' with name '${this.name}': ${e}`);
    }
    // Outside the try: cdk8s's own path wraps its own errors.
    return json === NOT_PLAIN ? super.toJson() : json;
  }

  /** cdk8s's rendering, for a plain-JSON object; NOT_PLAIN for anything else. */
  private plainJson(): any {
    // cdk8s reads the switch on every render; so does this.
    const sortKeys = !process.env.CDK8S_DISABLE_SORT;
    const metadata = plainMetadata(this.metadata);
    if (metadata === NOT_PLAIN) return NOT_PLAIN;
    // apiVersion, kind and metadata first, then the rest sanitized (as cdk8s orders its result).
    const data: Record<string, unknown> = {};
    const body = this.body as Record<string, unknown>;
    for (const k of ['apiVersion', 'kind']) {
      const v = sanitize(body[k], sortKeys);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      if (v !== undefined) data[k] = v;
    }
    if (metadata !== undefined) data.metadata = metadata;
    const keys = Object.keys(body);
    if (sortKeys) sortInPlace(keys);
    for (const k of keys) {
      if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
      const v = sanitize(body[k], sortKeys);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      if (v !== undefined) data[k] = v;
    }
    if (!this.ops.length) return data;
    const patched = JsonPatch.apply(data, ...this.ops);
    const result: Record<string, unknown> = {};
    for (const k of ['apiVersion', 'kind', 'metadata', ...Object.keys(patched)]) {
      if (k in patched) result[k] = patched[k];
    }
    return result;
  }
}

const NOT_PLAIN = Symbol('not plain JSON');
const checked = new WeakMap<App, boolean>();

function onlyBuiltInResolvers(app: App): boolean {
  let ok = checked.get(app);
  if (ok === undefined) {
    const r = app.resolvers ?? [];
    ok = r.length === 3 && r[0] instanceof LazyResolver && r[1] instanceof ImplicitTokenResolver && r[2] instanceof NumberStringUnionResolver;
    checked.set(app, ok);
  }
  return ok;
}

/** The fields of cdk8s's ApiObjectMetadataDefinition that its toJson renders from (cdk8s 2.68 to 2.70). */
const METADATA_FIELDS = ['_additionalAttributes', 'annotations', 'apiObject', 'finalizers', 'labels', 'name', 'namespace', 'ownerReferences'];
let metadataKnown: boolean | undefined;

/**
 * Whether this cdk8s's metadata has exactly the fields plainMetadata reads: a cdk8s that adds,
 * renames or drops one gets its own metadata.toJson, never a partial copy.
 */
export function metadataFieldsKnown(): boolean {
  if (metadataKnown === undefined) {
    const probe = new ApiObjectMetadataDefinition({ name: 'probe', apiObject: undefined as unknown as ApiObject });
    metadataKnown = Object.keys(probe).sort().join() === METADATA_FIELDS.join();
  }
  return metadataKnown;
}

/**
 * What `metadata.toJson()` gives (cdk8s resolves, then sanitizes dropping empty arrays and
 * objects, keys always sorted), read straight from the metadata's fields when they are plain
 * JSON; NOT_PLAIN when they are not, or when the metadata is not shaped as this cdk8s's is (then
 * cdk8s's own toJson runs). The resolve step is skipped: with only the built-in resolvers it
 * changes no plain value, and it walked the construct tree for every value of every label.
 */
function plainMetadata(meta: ApiObjectMetadataDefinition): any {
  if (!metadataFieldsKnown()) return NOT_PLAIN;
  const m = meta as unknown as Record<string, unknown>;
  const extra = m._additionalAttributes;
  if (extra === null || typeof extra !== 'object' || !Array.isArray(m.finalizers) || !Array.isArray(m.ownerReferences)
    || m.labels === null || typeof m.labels !== 'object' || m.annotations === null || typeof m.annotations !== 'object') return NOT_PLAIN;
  const all = { ...extra, name: m.name, namespace: m.namespace, annotations: m.annotations, finalizers: m.finalizers, ownerReferences: m.ownerReferences, labels: m.labels };
  return sanitize(all, true, true);
}

// cdk8s's sanitizeValue (keys sorted unless CDK8S_DISABLE_SORT is set; empty arrays and objects
// dropped when `dropEmpty`, as for metadata), which gives up (NOT_PLAIN) on anything a resolver
// could change.
function sanitize(value: any, sortKeys: boolean, dropEmpty = false): any {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') {
    const t = typeof value;
    return t === 'string' || t === 'number' || t === 'boolean' ? value : NOT_PLAIN;
  }
  if (Array.isArray(value)) {
    if (dropEmpty && value.length === 0) return undefined;
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = sanitize(value[i], sortKeys, dropEmpty);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out[i] = v;
    }
    return out;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    // What cdk8s's LazyResolver does with a Lazy: its produced value, resolved in turn.
    return value instanceof Lazy ? sanitize(value.produce(), sortKeys, dropEmpty) : NOT_PLAIN;
  }
  const keys = Object.keys(value);
  if (sortKeys) sortInPlace(keys);
  const out: Record<string, unknown> = {};
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    // An own `constructor` (cdk8s's sanitizer reads it) is left to cdk8s; an own `resolve`
    // function is NOT_PLAIN as every function value is.
    if (key === 'constructor') return NOT_PLAIN;
    const v = sanitize(value[key], sortKeys, dropEmpty);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    if (v !== undefined) { out[key] = v; n++; }
  }
  return dropEmpty && n === 0 ? undefined : out;
}

/** Array.prototype.sort's order for strings (UTF-16 code units), without its cost when already sorted. */
function sortInPlace(keys: string[]): void {
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) {
      keys.sort();
      return;
    }
  }
}
