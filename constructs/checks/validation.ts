/**
 * The checks as a cdk8s validation plugin, so that `cdk8s synth` in an app team's project runs
 * them over what it synthesized. In the project's cdk8s.yaml:
 *
 *   validations:
 *     - package: mega8s
 *       version: 0.1.0
 *       class: Mega8sValidation
 *       properties:            # optional: CheckOptions
 *         quotas: { cpus: 96 }
 *
 * The interfaces below are the parts of cdk8s-cli's `Validation` contract (cdk8s-cli
 * lib/plugins/validation.d.ts) the plugin uses, written out so that the package does not depend on
 * the CLI.
 */
import { CheckOptions, CheckRule, Problem, checkObjects, formatProblem, validateCheckOptions } from './check';
import { Manifest, SynthObject, describe } from './objects';

export interface ValidationViolatingResource {
  readonly resourceName: string;
  readonly locations: readonly string[];
  readonly manifestPath: string;
}

export interface ValidationViolation {
  readonly ruleName: string;
  readonly recommendation: string;
  readonly fix: string;
  readonly violatingResources: readonly ValidationViolatingResource[];
}

/** What cdk8s-cli hands a validation plugin (its `ValidationContext`). */
export interface ValidationContext {
  /** The manifest files `cdk8s synth` wrote. */
  readonly manifests: readonly string[];
  /** Construct paths by object name, when the app recorded them (cdk8s-cli asks it to). */
  readonly metadata?: { readonly [name: string]: { readonly path: string } };
  readonly report: {
    addViolation(violation: ValidationViolation): void;
    submit(status: 'success' | 'failure', metadata?: { readonly [key: string]: string }): void;
  };
  readonly logger?: { log(message: string): void };
  parseManifest(manifestPath: string): any[];
}

/** The plugin's `properties` in cdk8s.yaml: the options of `checkApp`. */
export interface Mega8sValidationProps extends CheckOptions {}

const FIXES: Readonly<Record<CheckRule, string>> = {
  [CheckRule.NETWORK]: 'deny ingress by default in every namespace, and admit each workload\'s clients on its ports (Workload.allowFrom)',
  [CheckRule.SCHEMA]: 'make the object match the Kubernetes 1.27 schema of its kind and use an API version 1.27 serves',
  [CheckRule.IDENTITY]: 'give each object its own name (two constructs made the same object)',
  [CheckRule.NAMESPACE]: 'set the namespace on the chart or object, and create that namespace in the output',
  [CheckRule.SELECTOR]: 'make the selector match the labels of the pods it means',
  [CheckRule.POD_SECURITY]: 'make the pod pass the Pod Security level its namespace enforces (mega8s constructs do by default)',
  [CheckRule.RESOURCES]: 'request cpu and memory and limit memory on every container',
  [CheckRule.IMAGE]: 'pin the image to a tag other than latest, or to a digest',
  [CheckRule.REFERENCE]: 'add the referenced object to the output, or fix the name',
  [CheckRule.STORAGE]: 'add the StorageClass to the output, or name one the cluster has (properties.defaultStorageClasses)',
  [CheckRule.SERVICE]: 'select the pods the Service fronts and target ports they declare',
  [CheckRule.RBAC]: 'name exact verbs and resources, no secrets, and bind only roles that exist',
  [CheckRule.AUTOSCALING]: 'one autoscaler per workload, no spec.replicas under it, and a cpu request on every container it measures',
  [CheckRule.QUOTA]: 'raise the quota or make the output smaller',
  [CheckRule.CONSTRUCT]: 'fix the construct the message names',
  [CheckRule.APPLYSET]: 'leave the applyset.kubernetes.io labels to kubectl and list every kind and namespace of the output on the ApplySet parent',
};

/**
 * A cdk8s validation plugin running mega8s's object checks (the same as `checkApp`) over the
 * manifests `cdk8s synth` wrote. The report fails when any check finds a problem; each problem is
 * one violation naming the rule, the object, its construct path and what is wrong.
 */
export class Mega8sValidation {
  private readonly options: CheckOptions;

  constructor(props: Mega8sValidationProps = {}) {
    validateCheckOptions(props ?? {}, 'Mega8sValidation: properties');
    this.options = props ?? {};
  }

  public async validate(context: ValidationContext): Promise<void> {
    const documents: { file: string; index: number; manifest: Manifest }[] = [];
    for (const file of context.manifests) {
      context.parseManifest(file).forEach((doc, index) => {
        if (doc && typeof doc === 'object' && !Array.isArray(doc)) documents.push({ file, index, manifest: doc as Manifest });
      });
    }
    // cdk8s records construct paths by object name only: for a name two objects share (a
    // Deployment and its Service) it records one of them, so such objects are named by file and
    // document instead.
    const names = new Map<string, number>();
    for (const d of documents) names.set(d.manifest.metadata?.name ?? '', (names.get(d.manifest.metadata?.name ?? '') ?? 0) + 1);
    const objects: SynthObject[] = documents.map(({ file, index, manifest }) => {
      const name = manifest.metadata?.name ?? '';
      const path = names.get(name) === 1 ? context.metadata?.[name]?.path : undefined;
      return { chart: file, path: path ?? `${file}, document ${index + 1}`, manifest };
    });
    const fileOf = new Map(documents.map((d, i) => [objects[i], d.file]));

    const problems = checkObjects(objects, this.options);
    for (const p of problems) context.report.addViolation(violation(p, p.object ? fileOf.get(p.object)! : undefined));
    context.report.submit(problems.length ? 'failure' : 'success', {
      objects: String(objects.length),
      problems: String(problems.length),
    });
  }
}

function violation(p: Problem, file: string | undefined): ValidationViolation {
  return {
    ruleName: `mega8s/${p.rule}`,
    recommendation: formatProblem(p),
    fix: FIXES[p.rule],
    violatingResources: p.object && file
      ? [{ resourceName: p.object.manifest.metadata?.name ?? '', locations: [describe(p.object.manifest)], manifestPath: file }]
      : [],
  };
}
