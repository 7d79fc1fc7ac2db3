import { ApiObject, ApiObjectProps, App, ImplicitTokenResolver, JsonPatch, LazyResolver, NumberStringUnionResolver } from 'cdk8s';
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
    if (!onlyBuiltInResolvers(App.of(this) as App)) return super.toJson();
    try {
      // cdk8s reads the switch on every render; so does this.
      const sortKeys = !process.env.CDK8S_DISABLE_SORT;
      const data = sanitize({ ...this.body, metadata: this.metadata.toJson() }, sortKeys);
      if (data === NOT_PLAIN) return super.toJson();
      const patched = this.ops.length ? JsonPatch.apply(data, ...this.ops) : data;
      const result: Record<string, unknown> = {};
      for (const k of ['apiVersion', 'kind', 'metadata', ...Object.keys(patched)]) {
        if (k in patched) result[k] = patched[k];
      }
      return result;
    } catch (e) {
      // The same wrapping cdk8s gives a failed render.
      throw new Error(`Failed serializing construct at path '${this.node.path}' with name '${this.name}': ${e}`);
    }
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

// cdk8s's sanitizeValue (keys sorted unless CDK8S_DISABLE_SORT is set), which gives up (NOT_PLAIN) on anything a resolver could change.
function sanitize(value: any, sortKeys: boolean): any {
  if (value === null || value === undefined) return undefined;
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean') return value;
  if (t !== 'object') return NOT_PLAIN;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = sanitize(value[i], sortKeys);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out[i] = v;
    }
    return out;
  }
  if (value.constructor !== Object || typeof value.resolve === 'function') return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const key of sortKeys ? Object.keys(value).sort() : Object.keys(value)) {
    const v = sanitize(value[key], sortKeys);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    if (v !== undefined) out[key] = v;
  }
  return out;
}
