import { ApiObject, ApiObjectProps, Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { ClientAccess } from './client-access';
import { AppIdentity, recommendedLabels, selectorLabels, versionOfImage } from './labels';
import { PlainApiObject } from './plain-api-object';
import { Resources, ResourceRequirementsJson, mergeResources } from './resources';
import { RestrictedPodSecurityContext, restrictedPodSecurityContext } from './security';
import {
  PropError, checkAnnotations, checkDns1123Label, checkEnvName, checkImage, checkInteger, checkLabelValue,
  checkLabels, checkQualifiedKey, isLabelValue, quantityValue, show, checkUid,
} from './validate';

/*
 * The workload base: what every mega8s construct that runs pods has in common, validated in one
 * place and rendered one way. A construct extends `Workload`, passes its props and a small
 * `WorkloadSpec` (its defaults and what it supports) to `super`, validates its own props, and
 * builds its containers; identity, labels, selectors, security contexts, resources, env,
 * scheduling, autoscaling and the object model come from here.
 */

/** Where an environment variable's value comes from, when it is not a literal. */
export interface EnvVarSource {
  /** A field of the pod (`metadata.name`, `status.podIP`, `spec.nodeName`, …). */
  readonly fieldRef?: { readonly fieldPath: string };
  /** A key of a Secret (created outside mega8s). */
  readonly secretKeyRef?: { readonly name: string; readonly key: string; readonly optional?: boolean };
  /** A key of a ConfigMap. */
  readonly configMapKeyRef?: { readonly name: string; readonly key: string; readonly optional?: boolean };
  /** A resource request or limit of a container (`limits.memory`, `requests.cpu`). */
  readonly resourceFieldRef?: { readonly resource: string; readonly containerName?: string; readonly divisor?: string };
}

/**
 * One environment variable: a literal `value` or a `valueFrom`. Every mega8s construct takes its
 * env as an ordered list of these (Kubernetes expands `$(VAR)` only from the entries before).
 */
export interface EnvVar {
  readonly name: string;
  /** A literal value. */
  readonly value?: string;
  /** Where the value comes from. */
  readonly valueFrom?: EnvVarSource;
}

/** The effect of a taint a toleration matches. */
export enum TaintEffect {
  NO_SCHEDULE = 'NoSchedule',
  PREFER_NO_SCHEDULE = 'PreferNoSchedule',
  NO_EXECUTE = 'NoExecute',
}

/** How a toleration matches a taint's value. */
export enum TolerationOperator {
  /** The taint has `key` with exactly `value`. */
  EQUAL = 'Equal',
  /** The taint has `key` (any value); with no key, every taint. */
  EXISTS = 'Exists',
}

/** A toleration of the pods. */
export interface Toleration {
  /** The taint key. @default every key (only with `TolerationOperator.EXISTS`) */
  readonly key?: string;
  /** @default TolerationOperator.EQUAL */
  readonly operator?: TolerationOperator;
  /** The taint value (with `EQUAL`). @default '' */
  readonly value?: string;
  /** @default every effect */
  readonly effect?: TaintEffect;
  /** With `NO_EXECUTE`: how long the pod stays on a node after the taint appears. @default forever */
  readonly tolerationSeconds?: number;
}

/** How a node label is matched. */
export enum NodeSelectorOperator {
  IN = 'In',
  NOT_IN = 'NotIn',
  EXISTS = 'Exists',
  DOES_NOT_EXIST = 'DoesNotExist',
  GT = 'Gt',
  LT = 'Lt',
}

/** One requirement on a node label. */
export interface NodeRequirement {
  readonly key: string;
  readonly operator: NodeSelectorOperator;
  /** Values for In/NotIn (at least one) and Gt/Lt (exactly one integer); none for Exists/DoesNotExist. */
  readonly values?: string[];
}

/** A preferred node: requirements that earn a node `weight` (1-100) when all are met. */
export interface PreferredNode {
  readonly weight: number;
  readonly requirements: NodeRequirement[];
}

/**
 * Which nodes the pods may run on: `required` is a list of alternatives (ORed), each a list of
 * requirements (ANDed); `preferred` ranks the nodes that qualify.
 */
export interface NodeAffinity {
  /** @default any node */
  readonly required?: NodeRequirement[][];
  /** @default no preference */
  readonly preferred?: PreferredNode[];
}

/** How an autoscaler changes the replica count. */
export interface AutoscalingBehavior {
  /** Seconds of recommendations considered before scaling down (Kubernetes' default is 300). @default Kubernetes' default */
  readonly scaleDownStabilizationSeconds?: number;
  /** Seconds of recommendations considered before scaling up (Kubernetes' default is 0). @default Kubernetes' default */
  readonly scaleUpStabilizationSeconds?: number;
}

/** A HorizontalPodAutoscaler (autoscaling/v2) on the workload's CPU utilisation. */
export interface Autoscaling {
  /** @default 1 */
  readonly minReplicas?: number;
  readonly maxReplicas: number;
  /** Target average CPU use, in percent of the CPU request. @default 80 */
  readonly cpuUtilization?: number;
  /** @default Kubernetes' defaults */
  readonly behavior?: AutoscalingBehavior;
}

/** The verbs a workload's Role may grant (exact verbs: no wildcards, no escalation verbs). */
export const API_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
export type ApiVerb = typeof API_VERBS[number];

/** One rule of the Kubernetes API the workload's pods may use in their own namespace. */
export interface ApiRule {
  /** API groups (`''` is the core group, `apps`, …). */
  readonly apiGroups: string[];
  /** Resources (`pods`, `deployments`, a subresource such as `pods/log`). */
  readonly resources: string[];
  readonly verbs: ApiVerb[];
  /** Only these objects (not with `create`, which has no name to check). @default every object of the resources */
  readonly resourceNames?: string[];
}

/** Props every workload construct takes, with the same names and types everywhere. */
export interface WorkloadProps {
  /**
   * Name of the workload's objects and the `app.kubernetes.io/instance` label.
   * @default the construct id (some constructs name their own default)
   */
  readonly name?: string;
  /** `app.kubernetes.io/part-of` label. @default none */
  readonly partOf?: string;
  /** Extra labels on every object and on the pods (never in selectors). @default none */
  readonly labels?: Record<string, string>;
  /** Extra annotations on the pod template (a change rolls the pods). @default none */
  readonly podAnnotations?: Record<string, string>;
  /** Extra environment variables of the main container, in order. @default none */
  readonly env?: EnvVar[];
  /** Main container resources; fields left out keep the construct's defaults. @default the construct's */
  readonly resources?: Resources;
  /** User id the containers run as (never 0). @default the construct's (65532 unless the image needs its own) */
  readonly runAsUser?: number;
  /** Seconds a pod gets between SIGTERM and SIGKILL. @default the construct's */
  readonly terminationGraceSeconds?: number;
  /** Node labels a node must have. @default any node */
  readonly nodeSelector?: Record<string, string>;
  /** Taints the pods tolerate. @default none */
  readonly tolerations?: Toleration[];
  /** Which nodes the pods may (and prefer to) run on. @default any node */
  readonly nodeAffinity?: NodeAffinity;
  /** Number of pods. @default the construct's */
  readonly replicas?: number;
  /**
   * Scale on CPU with a HorizontalPodAutoscaler; the workload then has no `spec.replicas`
   * (otherwise every `kubectl apply` would reset the autoscaler's count). Not with `replicas`.
   * @default no autoscaler
   */
  readonly autoscaling?: Autoscaling;
  /**
   * What the pods may do with the Kubernetes API, in their own namespace. The workload then gets
   * its own ServiceAccount (named after it), a Role with exactly these rules and a RoleBinding of
   * that Role to that ServiceAccount only; its pods run as it and mount its (rotating, projected)
   * token. Needs the chart's namespace.
   * @default no API access: the namespace's default ServiceAccount, no token mounted
   */
  readonly apiAccess?: ApiRule[];
}

/** What a construct tells the base about itself. */
export interface WorkloadSpec {
  /** The `app.kubernetes.io/name` label (what the application is). */
  readonly appName: string;
  /** The `app.kubernetes.io/component` label. */
  readonly component?: string;
  /** The main image (its tag becomes `app.kubernetes.io/version`). */
  readonly image: string;
  /** Prop name of the image, for messages. @default 'image' */
  readonly imageProp?: string;
  /** The default name when the `name` prop is left out. @default the construct id */
  readonly defaultName?: string;
  /** Longest name (a StatefulSet's pods get a controller-revision-hash label of name + 11). @default 63 */
  readonly maxNameLength?: number;
  readonly defaults: {
    readonly resources: Resources;
    readonly runAsUser?: number;
    readonly runAsGroup?: number;
    readonly fsGroup?: number;
    readonly terminationGraceSeconds: number;
    readonly minTerminationGraceSeconds?: number;
    /** Why the grace period cannot be shorter (said when it is). */
    readonly minTerminationGraceReason?: string;
    /** Default replicas; leave out for a DaemonSet (no replica count). */
    readonly replicas?: number;
  };
  /** Replica bounds. @default 0 to 2^53-1 */
  readonly replicaRange?: readonly [number, number];
  /** Whether `autoscaling` is supported (Deployments). @default false */
  readonly autoscaling?: boolean;
  /** Env names the construct sets itself (refused in `env`). @default none */
  readonly reservedEnv?: readonly string[];
  /** Whether `apiAccess` is supported (the construct renders its pods with `podTemplate`). @default false */
  readonly apiAccess?: boolean;
}

/** A port the workload's pods listen on (what a Service or a NetworkPolicy admits). */
export interface WorkloadPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/** A client allowed to reach a workload: the labels of its pods, in a namespace. */
export interface WorkloadClient {
  readonly podSelector: Readonly<Record<string, string>>;
  /** @default the workload's own namespace */
  readonly namespace?: string;
}

/** Standard probe timings of a server (readiness quick to react, liveness slow to kill). */
export const PROBE_TIMINGS = {
  readiness: { initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
  liveness: { initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
} as const;

/** Renders one object; the only way mega8s makes Kubernetes objects (see plain-api-object.ts). */
export function renderObject(scope: Construct, id: string, body: ApiObjectProps & Record<string, unknown>): ApiObject {
  return new PlainApiObject(scope, id, body);
}

/**
 * The base of every mega8s construct that runs pods. Exposes what every workload has: its
 * name, labels and immutable selector, the ports its pods listen on, and (when autoscaled) the
 * HorizontalPodAutoscaler.
 */
export abstract class Workload extends Construct {
  /** Name of the workload's objects and the `app.kubernetes.io/instance` label. */
  public readonly name: string;
  /** Labels of every object and pod (the recommended `app.kubernetes.io/*` set plus `labels`). */
  public readonly labels: Record<string, string>;
  /** The immutable labels selecting the pods (`app.kubernetes.io/name` and `instance` only). */
  public readonly selector: Record<string, string>;
  /** The replica count in the workload's spec; undefined under an autoscaler (and for DaemonSets). */
  public readonly replicas?: number;
  /** The HorizontalPodAutoscaler, when `autoscaling` is set. */
  public autoscaler?: ApiObject;
  /** The ports the pods listen on. */
  public readonly ports: WorkloadPort[] = [];
  /**
   * The clients declared with `allowFrom`, in order: the workload's NetworkPolicy admits exactly
   * these on its ports (clients named after construction are included: the policy is rendered at
   * synth time).
   */
  public readonly clients: WorkloadClient[] = [];
  /** The workload's own ServiceAccount, Role and RoleBinding, when `apiAccess` is set. */
  public readonly apiAccess?: { readonly serviceAccount: ApiObject; readonly role: ApiObject; readonly roleBinding: ApiObject };
  /**
   * The workload's ingress NetworkPolicy (id `NetworkPolicy`, named after the workload): its
   * clients on its ports, plus outside traffic on the port of a LoadBalancer or NodePort
   * Service. Undefined for a workload without ports, which admits nothing (its namespace denies
   * all ingress by default).
   */
  public networkPolicy?: ApiObject;

  protected readonly identity: AppIdentity;
  /** The validated `env`, in order. */
  protected readonly env: EnvVar[];
  protected readonly podAnnotations: Record<string, string>;
  protected readonly resources: ResourceRequirementsJson;
  protected readonly podSecurityContext: RestrictedPodSecurityContext;
  protected readonly terminationGraceSeconds: number;
  /** `nodeSelector`, `tolerations` and `affinity` of the pod spec, as JSON (only those set). */
  protected readonly scheduling: { nodeSelector?: Record<string, string>; tolerations?: unknown[]; affinity?: { nodeAffinity: unknown } };
  private readonly autoscaling?: Required<Omit<Autoscaling, 'behavior'>> & { behavior?: AutoscalingBehavior };

  constructor(scope: Construct, id: string, props: WorkloadProps, spec: WorkloadSpec) {
    super(scope, id);
    if (props === null || typeof props !== 'object') throw new PropError(this, 'props', `props ${show(props)} is not an object`);
    const D = spec.defaults;
    const name = this.name = checkDns1123Label(this, 'name', props.name ?? spec.defaultName ?? id);
    const maxName = spec.maxNameLength ?? 63;
    if (name.length > maxName) {
      throw new PropError(this, 'name', `name ${show(name)} is longer than ${maxName} characters: the controller-revision-hash label of its pods would not fit in 63`);
    }
    checkImage(this, spec.imageProp ?? 'image', spec.image);
    const appName = checkDns1123Label(this, 'appName', spec.appName);
    const partOf = props.partOf === undefined ? undefined : checkLabelValue(this, 'partOf', props.partOf);
    this.identity = { name: appName, instance: name, component: spec.component, partOf, version: versionOfImage(spec.image) };
    this.labels = recommendedLabels(this.identity, checkLabels(this, 'labels', props.labels));
    this.selector = selectorLabels(this.identity);
    this.podAnnotations = { ...checkAnnotations(this, 'podAnnotations', props.podAnnotations) };

    this.env = this.validateEnv('env', props.env, spec.reservedEnv ?? []);
    this.resources = this.validateResources('resources', props.resources, D.resources);
    const runAsUser = checkUid(this, 'runAsUser', props.runAsUser ?? D.runAsUser ?? 65532);
    this.podSecurityContext = restrictedPodSecurityContext({
      runAsUser,
      runAsGroup: props.runAsUser !== undefined ? runAsUser : D.runAsGroup,
      fsGroup: D.fsGroup,
    });
    const grace = props.terminationGraceSeconds ?? D.terminationGraceSeconds;
    const minGrace = D.minTerminationGraceSeconds ?? 0;
    if (D.minTerminationGraceReason && typeof grace === 'number' && Number.isInteger(grace) && grace >= 0 && grace < minGrace) {
      throw new PropError(this, 'terminationGraceSeconds', `terminationGraceSeconds ${grace} is too short: ${D.minTerminationGraceReason}; expected at least ${minGrace}`);
    }
    this.terminationGraceSeconds = checkInteger(this, 'terminationGraceSeconds', grace, D.minTerminationGraceSeconds ?? 0);
    this.scheduling = this.validateScheduling(props);

    if (D.replicas === undefined) {
      if (props.replicas !== undefined) throw new PropError(this, 'replicas', `replicas ${show(props.replicas)} is not supported: this workload runs one pod per matching node`);
      if (props.autoscaling !== undefined) throw new PropError(this, 'autoscaling', `autoscaling ${show(props.autoscaling)} is not supported: this workload runs one pod per matching node`);
    } else if (props.autoscaling !== undefined) {
      if (!spec.autoscaling) throw new PropError(this, 'autoscaling', `autoscaling ${show(props.autoscaling)} is not supported by this construct`);
      if (props.replicas !== undefined) {
        throw new PropError(this, 'replicas', `replicas ${show(props.replicas)} conflicts with autoscaling: the autoscaler owns the replica count; expected autoscaling.minReplicas instead`);
      }
      this.autoscaling = this.validateAutoscaling(props.autoscaling);
    } else {
      const [min, max] = spec.replicaRange ?? [0, Number.MAX_SAFE_INTEGER];
      this.replicas = checkInteger(this, 'replicas', props.replicas ?? D.replicas, min, max);
    }

    if (props.apiAccess !== undefined) {
      if (!spec.apiAccess) throw new PropError(this, 'apiAccess', `apiAccess ${show(props.apiAccess)} is not supported by this construct`);
      this.apiAccess = this.renderApiAccess(this.validateApiRules(props.apiAccess));
    }
  }

  /**
   * Declares that the pods matching `podSelector` (in `namespace`, or the workload's own) may
   * reach this workload's ports. An empty selector is refused: it would admit every pod.
   */
  public allowFrom(podSelector: Record<string, string>, namespace?: string): void {
    const prop = 'allowFrom';
    if (!podSelector || typeof podSelector !== 'object' || Array.isArray(podSelector) || Object.keys(podSelector).length === 0) {
      throw new PropError(this, prop, `${prop} ${show(podSelector)} is an empty pod selector: it would admit every pod; expected the labels of the client pods`);
    }
    checkLabels(this, prop, podSelector);
    if (namespace !== undefined) checkDns1123Label(this, `${prop}.namespace`, namespace);
    this.clients.push({ podSelector: { ...podSelector }, ...(namespace !== undefined ? { namespace } : {}) });
  }

  /** The most pods the workload may run (replicas, or the autoscaler's maximum). */
  public get maxPods(): number {
    return this.autoscaling ? this.autoscaling.maxReplicas : this.replicas ?? 0;
  }

  /**
   * Renders the workload's ingress NetworkPolicy (id `NetworkPolicy`): the clients named with
   * `allowFrom` (and the workload's own pods when `peers` is set) on `ports`, and, when `external`
   * is set (a LoadBalancer or NodePort Service, or external IPs), traffic from outside on
   * `external.ports` (from `external.sourceRanges` only, when given).
   */
  protected admitIngress(options: {
    /** The pods the policy protects. @default the workload's selector */
    readonly selector?: Record<string, string>;
    /** The ports the clients (and peers) reach. @default every port of the workload (`ports`) */
    readonly ports?: readonly WorkloadPort[];
    readonly namespace?: string;
    readonly peers?: boolean;
    readonly external?: { readonly ports: readonly WorkloadPort[]; readonly sourceRanges?: readonly string[] };
  } = {}): ApiObject {
    const access = new ClientAccess(this, {
      name: this.name,
      labels: this.labels,
      selector: options.selector ?? this.selector,
      ports: options.ports ?? this.ports,
      namespace: options.namespace ?? Chart.of(this).namespace,
      peers: options.peers ?? false,
      clients: () => this.clients,
      external: options.external,
    });
    this.networkPolicy = access.networkPolicy;
    return access.networkPolicy;
  }

  /** Records a port the pods listen on. */
  protected addPort(port: WorkloadPort): void {
    this.ports.push(port);
  }

  /**
   * The pod template: labels, annotations (`podAnnotations`, then `annotations`), the
   * restricted pod security context, scheduling, the grace period, no service links and no
   * service-account token unless `spec` says otherwise.
   */
  protected podTemplate(spec: Record<string, unknown>, annotations: Record<string, string> = {}): Record<string, unknown> {
    const all = { ...this.podAnnotations, ...annotations };
    return {
      metadata: { labels: this.labels, ...(Object.keys(all).length ? { annotations: all } : {}) },
      spec: {
        ...(this.apiAccess ? { serviceAccountName: this.apiAccess.serviceAccount.name, automountServiceAccountToken: true } : { automountServiceAccountToken: false }),
        enableServiceLinks: false,
        terminationGracePeriodSeconds: this.terminationGraceSeconds,
        securityContext: this.podSecurityContext,
        ...this.scheduling,
        ...spec,
      },
    };
  }

  /** Renders an object of this workload (metadata name and labels filled in unless given). */
  protected object(id: string, body: { apiVersion: string; kind: string; metadata?: Record<string, unknown> } & Record<string, unknown>): ApiObject {
    return renderObject(this, id, { ...body, metadata: { name: this.name, labels: this.labels, ...body.metadata } } as any);
  }

  /**
   * A PodDisruptionBudget (id `Pdb`) letting voluntary disruptions (a node drain) take one pod at
   * a time.
   */
  protected onePodAtATime(): ApiObject {
    return this.object('Pdb', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      spec: { maxUnavailable: 1, selector: { matchLabels: this.selector } },
    });
  }

  /** Renders the HorizontalPodAutoscaler (id `Hpa`) of `target` when `autoscaling` is set. */
  protected addAutoscaler(target: ApiObject): ApiObject | undefined {
    const a = this.autoscaling;
    if (!a) return undefined;
    const behavior: Record<string, unknown> = {};
    if (a.behavior?.scaleDownStabilizationSeconds !== undefined) behavior.scaleDown = { stabilizationWindowSeconds: a.behavior.scaleDownStabilizationSeconds };
    if (a.behavior?.scaleUpStabilizationSeconds !== undefined) behavior.scaleUp = { stabilizationWindowSeconds: a.behavior.scaleUpStabilizationSeconds };
    this.autoscaler = this.object('Hpa', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      spec: {
        scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name: target.name },
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuUtilization } } }],
        ...(Object.keys(behavior).length ? { behavior } : {}),
      },
    });
    return this.autoscaler;
  }

  /** Validates an ordered env list: valid names, no name twice, a string value or a valueFrom. */
  protected validateEnv(prop: string, env: EnvVar[] | undefined, reserved: readonly string[] = []): EnvVar[] {
    if (env === undefined) return [];
    if (!Array.isArray(env)) throw new PropError(this, prop, `${prop} ${show(env)} is not a list: expected an ordered list of { name, value } or { name, valueFrom }`);
    const seen = new Set<string>();
    return env.map((e) => {
      if (e === null || typeof e !== 'object' || e instanceof Lazy) {
        throw new PropError(this, prop, `${prop} entry ${show(e)} is not an env var: expected { name, value } or { name, valueFrom }`);
      }
      checkEnvName(this, prop, e.name);
      if (reserved.includes(e.name)) throw new PropError(this, prop, `${prop} ${show(e.name)} is set by the construct itself and cannot be overridden`);
      if (seen.has(e.name)) throw new PropError(this, prop, `${prop} ${show(e.name)} is set twice: expected each name once`);
      seen.add(e.name);
      if ((e.value === undefined) === (e.valueFrom === undefined)) {
        throw new PropError(this, prop, `${prop} ${show(e.name)} has ${e.value === undefined ? 'neither' : 'both'} value and valueFrom: expected exactly one`);
      }
      if (e.value !== undefined && typeof e.value !== 'string') {
        throw new PropError(this, prop, `${prop} ${e.name}=${show(e.value)} is not a string: expected a literal string value (resolved at construction, not a token)`);
      }
      if (e.valueFrom !== undefined) {
        const v = e.valueFrom;
        const kinds = ['fieldRef', 'secretKeyRef', 'configMapKeyRef', 'resourceFieldRef'].filter((k) => (v as any)?.[k] !== undefined);
        if (v === null || typeof v !== 'object' || v.constructor !== Object || kinds.length !== 1 || Object.keys(v).length !== 1) {
          throw new PropError(this, prop, `${prop} ${show(e.name)} valueFrom ${show(v)} is not one of fieldRef, secretKeyRef, configMapKeyRef or resourceFieldRef`);
        }
        for (const ref of [v.secretKeyRef, v.configMapKeyRef]) {
          if (ref && (!isPlainName(ref.name) || typeof ref.key !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(ref.key))) {
            throw new PropError(this, prop, `${prop} ${show(e.name)} valueFrom ${show(v)} names no valid object and key`);
          }
        }
      }
      return e.value !== undefined ? { name: e.name, value: e.value } : { name: e.name, valueFrom: e.valueFrom };
    });
  }

  /** Merges `given` over `defaults`, validates every quantity and that no request is above its limit. */
  protected validateResources(prop: string, given: Resources | undefined, defaults: Resources): ResourceRequirementsJson {
    if (given !== undefined && (given === null || typeof given !== 'object')) {
      throw new PropError(this, prop, `${prop} ${show(given)} is not an object: expected { requests, limits }`);
    }
    const json = mergeResources(this, prop, given, defaults);
    for (const key of ['cpu', 'memory'] as const) {
      const request = json.requests?.[key];
      const limit = json.limits?.[key];
      if (request !== undefined && limit !== undefined && quantityValue(request) > quantityValue(limit)) {
        throw new PropError(this, `${prop}.requests.${key}`, `${prop}.requests.${key} ${show(request)} is above ${prop}.limits.${key} ${show(limit)}: expected a request at most the limit`);
      }
    }
    return json;
  }

  private validateApiRules(rules: ApiRule[]): ApiRule[] {
    const prop = 'apiAccess';
    if (!Array.isArray(rules) || rules.length === 0) {
      throw new PropError(this, prop, `${prop} ${show(rules)} is not a non-empty list of rules: expected [{ apiGroups, resources, verbs, resourceNames? }]`);
    }
    const list = (field: string, value: unknown, ok: (x: string) => boolean, what: string, allowEmpty = false): string[] => {
      if (!Array.isArray(value) || (!allowEmpty && value.length === 0) || value.some((x) => typeof x !== 'string' || !ok(x))) {
        throw new PropError(this, prop, `${prop} ${field} ${show(value)} is not a non-empty list of ${what}`);
      }
      if (new Set(value).size !== value.length) throw new PropError(this, prop, `${prop} ${field} ${show(value)} lists an entry twice`);
      return [...value];
    };
    return rules.map((r, i) => {
      if (r === null || typeof r !== 'object') throw new PropError(this, prop, `${prop}[${i}] ${show(r)} is not a rule: expected { apiGroups, resources, verbs, resourceNames? }`);
      const apiGroups = list(`[${i}].apiGroups`, r.apiGroups, (g) => g === '' || isPlainName(g), "API groups ('' for the core group; no wildcards)");
      const resources = list(`[${i}].resources`, r.resources, (x) => /^[a-z][a-z0-9]*(\/[a-z][a-z0-9]*)?$/.test(x), 'resources (lowercase plural names, optionally /subresource; no wildcards)');
      const verbs = list(`[${i}].verbs`, r.verbs, (v) => (API_VERBS as readonly string[]).includes(v), `verbs (${API_VERBS.join(', ')})`) as ApiVerb[];
      if (r.resourceNames === undefined) return { apiGroups, resources, verbs };
      const resourceNames = list(`[${i}].resourceNames`, r.resourceNames, isPlainName, 'object names');
      if (verbs.includes('create') || verbs.includes('deletecollection')) {
        throw new PropError(this, prop, `${prop}[${i}] verbs ${show(verbs)} with resourceNames ${show(resourceNames)}: create and deletecollection cannot be limited by name; expected them in a rule without resourceNames`);
      }
      return { apiGroups, resources, verbs, resourceNames };
    });
  }

  /** The ServiceAccount, Role and RoleBinding of `apiAccess`, all named after the workload. */
  private renderApiAccess(rules: ApiRule[]): NonNullable<Workload['apiAccess']> {
    const namespace = Chart.of(this).namespace;
    if (namespace === undefined) {
      throw new PropError(this, 'apiAccess', 'apiAccess needs a namespace for the RoleBinding\'s subject: expected the construct in a chart with a namespace');
    }
    const serviceAccount = this.object('ServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', automountServiceAccountToken: false });
    const role = this.object('Role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', rules: rules.map((r) => ({ ...r })) });
    const roleBinding = this.object('RoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace }],
    });
    return { serviceAccount, role, roleBinding };
  }

  private validateScheduling(props: WorkloadProps): Workload['scheduling'] {
    const out: Workload['scheduling'] = {};
    if (props.nodeSelector !== undefined) {
      checkLabels(this, 'nodeSelector', props.nodeSelector);
      if (Object.keys(props.nodeSelector).length) out.nodeSelector = { ...props.nodeSelector };
    }
    if (props.tolerations !== undefined) {
      if (!Array.isArray(props.tolerations)) throw new PropError(this, 'tolerations', `tolerations ${show(props.tolerations)} is not a list`);
      out.tolerations = props.tolerations.map((t) => this.validateToleration(t));
    }
    if (props.nodeAffinity !== undefined) {
      const a = props.nodeAffinity;
      const nodeAffinity: Record<string, unknown> = {};
      if (a === null || typeof a !== 'object') throw new PropError(this, 'nodeAffinity', `nodeAffinity ${show(a)} is not an object: expected { required, preferred }`);
      if (a.required !== undefined) {
        if (!Array.isArray(a.required) || a.required.length === 0) throw new PropError(this, 'nodeAffinity', `nodeAffinity.required ${show(a.required)} is empty: expected at least one list of requirements`);
        nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
          nodeSelectorTerms: a.required.map((term) => ({ matchExpressions: this.validateRequirements('nodeAffinity.required', term) })),
        };
      }
      if (a.preferred !== undefined) {
        if (!Array.isArray(a.preferred)) throw new PropError(this, 'nodeAffinity', `nodeAffinity.preferred ${show(a.preferred)} is not a list`);
        nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution = a.preferred.map((p) => ({
          weight: checkInteger(this, 'nodeAffinity.preferred.weight', p?.weight, 1, 100),
          preference: { matchExpressions: this.validateRequirements('nodeAffinity.preferred', p.requirements) },
        }));
      }
      if (Object.keys(nodeAffinity).length) out.affinity = { nodeAffinity };
    }
    return out;
  }

  private validateRequirements(prop: string, reqs: NodeRequirement[]): unknown[] {
    if (!Array.isArray(reqs) || reqs.length === 0) throw new PropError(this, 'nodeAffinity', `${prop} ${show(reqs)} is empty: expected at least one requirement`);
    return reqs.map((r) => {
      checkQualifiedKey(this, `${prop}.key`, r?.key);
      if (!Object.values(NodeSelectorOperator).includes(r.operator)) {
        throw new PropError(this, 'nodeAffinity', `${prop}.operator ${show(r.operator)} is not one of ${Object.values(NodeSelectorOperator).join(', ')}`);
      }
      const values = r.values ?? [];
      const needs = r.operator === NodeSelectorOperator.IN || r.operator === NodeSelectorOperator.NOT_IN ? 'some'
        : r.operator === NodeSelectorOperator.GT || r.operator === NodeSelectorOperator.LT ? 'one' : 'none';
      if (!Array.isArray(values) || (needs === 'some' && values.length === 0) || (needs === 'one' && values.length !== 1) || (needs === 'none' && values.length !== 0)
        || values.some((v) => !isLabelValue(v) || (needs === 'one' && !/^-?\d+$/.test(v)))) {
        throw new PropError(this, 'nodeAffinity', `${prop} ${r.key} ${r.operator} values ${show(r.values)} do not fit the operator: expected ${needs === 'some' ? 'at least one label value' : needs === 'one' ? 'exactly one integer' : 'no values'}`);
      }
      return { key: r.key, operator: r.operator, ...(values.length ? { values: [...values] } : {}) };
    });
  }

  private validateToleration(t: Toleration): Record<string, unknown> {
    if (t === null || typeof t !== 'object') throw new PropError(this, 'tolerations', `tolerations entry ${show(t)} is not an object`);
    const operator = t.operator ?? TolerationOperator.EQUAL;
    if (!Object.values(TolerationOperator).includes(operator)) {
      throw new PropError(this, 'tolerations', `tolerations operator ${show(operator)} is not one of ${Object.values(TolerationOperator).join(', ')}`);
    }
    if (t.key !== undefined) checkQualifiedKey(this, 'tolerations', t.key);
    else if (operator !== TolerationOperator.EXISTS) throw new PropError(this, 'tolerations', `tolerations entry ${show(t)} has no key: only operator Exists may leave it out`);
    if (t.value !== undefined) {
      if (operator === TolerationOperator.EXISTS) throw new PropError(this, 'tolerations', `tolerations entry ${show(t)} has a value with operator Exists: expected no value`);
      if (!isLabelValue(t.value)) throw new PropError(this, 'tolerations', `tolerations value ${show(t.value)} is not a valid label value`);
    }
    if (t.effect !== undefined && !Object.values(TaintEffect).includes(t.effect)) {
      throw new PropError(this, 'tolerations', `tolerations effect ${show(t.effect)} is not one of ${Object.values(TaintEffect).join(', ')}`);
    }
    if (t.tolerationSeconds !== undefined) {
      checkInteger(this, 'tolerations', t.tolerationSeconds, 0);
      if (t.effect !== TaintEffect.NO_EXECUTE) throw new PropError(this, 'tolerations', `tolerations tolerationSeconds ${show(t.tolerationSeconds)} needs effect NoExecute: expected effect NoExecute, or no tolerationSeconds`);
    }
    return {
      ...(t.key !== undefined ? { key: t.key } : {}),
      operator,
      ...(t.value !== undefined ? { value: t.value } : {}),
      ...(t.effect !== undefined ? { effect: t.effect } : {}),
      ...(t.tolerationSeconds !== undefined ? { tolerationSeconds: t.tolerationSeconds } : {}),
    };
  }

  private validateAutoscaling(a: Autoscaling): NonNullable<Workload['autoscaling']> {
    if (a === null || typeof a !== 'object') throw new PropError(this, 'autoscaling', `autoscaling ${show(a)} is not an object: expected { minReplicas, maxReplicas, cpuUtilization }`);
    const minReplicas = checkInteger(this, 'autoscaling.minReplicas', a.minReplicas ?? 1, 1, 10_000);
    const maxReplicas = checkInteger(this, 'autoscaling.maxReplicas', a.maxReplicas, 1, 10_000);
    if (maxReplicas < minReplicas) {
      throw new PropError(this, 'autoscaling.maxReplicas', `autoscaling.maxReplicas ${maxReplicas} is below autoscaling.minReplicas ${minReplicas}: expected at least ${minReplicas}`);
    }
    const cpuUtilization = checkInteger(this, 'autoscaling.cpuUtilization', a.cpuUtilization ?? 80, 1, 100);
    if (this.resources.requests?.cpu === undefined || quantityValue(this.resources.requests.cpu) === 0) {
      throw new PropError(this, 'autoscaling', 'autoscaling needs a CPU request: the utilisation is a percentage of it; expected resources.requests.cpu above 0');
    }
    const b = a.behavior;
    if (b !== undefined) {
      if (b === null || typeof b !== 'object') throw new PropError(this, 'autoscaling.behavior', `autoscaling.behavior ${show(b)} is not an object`);
      if (b.scaleDownStabilizationSeconds !== undefined) checkInteger(this, 'autoscaling.behavior.scaleDownStabilizationSeconds', b.scaleDownStabilizationSeconds, 0, 3600);
      if (b.scaleUpStabilizationSeconds !== undefined) checkInteger(this, 'autoscaling.behavior.scaleUpStabilizationSeconds', b.scaleUpStabilizationSeconds, 0, 3600);
    }
    return { minReplicas, maxReplicas, cpuUtilization, behavior: b };
  }
}

/**
 * Plain JSON of a value built with cdk8s-plus-27's L1 helpers (`Quantity`, `IntOrString`):
 * their wrappers become the number or string they hold, as cdk8s renders them.
 */
export function plainJson<T>(value: T): any {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plainJson);
  if ((value as any).constructor !== Object) {
    const inner = (value as any).value;
    if (typeof inner === 'string' || typeof inner === 'number') return inner;
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as object)) out[k] = plainJson(v);
  return out;
}

function isPlainName(name: unknown): boolean {
  return typeof name === 'string' && name.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name);
}
