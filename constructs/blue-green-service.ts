import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { canonicalJson } from './config-hash';
import { LABEL_VERSION, recommendedLabels, selectorLabels } from './labels';
import { Resources } from './resources';
import { restrictedContainerSecurityContext } from './security';
import { ServiceType, serviceTypeSpec } from './service-type';
import { PropError, checkImage, checkInteger, checkLabelValue, checkNonEmpty, checkPort, show } from './validate';
import { EnvVar, PROBE_TIMINGS, Workload, WorkloadProps } from './workload';

/** The two colours of a blue/green service. */
export enum Color {
  BLUE = 'blue',
  GREEN = 'green',
}

/** The label that tells the colours' pods apart (in the colours' selectors, and in the Services'). */
export const COLOR_LABEL = 'mega8s.io/color';
/** Argo CD's annotations (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/). */
export const ARGOCD_HOOK = 'argocd.argoproj.io/hook';
export const ARGOCD_HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';
export const ARGOCD_SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
/** The environment variable the smoke Job gets: `<name>-preview:<servicePort>`. */
export const PREVIEW_TARGET_ENV = 'PREVIEW_TARGET';

/** The other colour. */
export function otherColor(color: Color): Color {
  return color === Color.BLUE ? Color.GREEN : Color.BLUE;
}

/**
 * The selector of a colour's Deployment. It depends on the name, the app and the colour only, never
 * on which colour is active: Deployment selectors are immutable, and a release flips the active colour.
 */
export function colorSelector(appName: string, name: string, color: Color): Record<string, string> {
  return { ...selectorLabels({ name: appName, instance: name }), [COLOR_LABEL]: color };
}

/** How the kubelet checks the pods (readiness and liveness, with the standard timings). */
export class BlueGreenProbe {
  /** grpc.health.v1 on the container port, asking about `service` ('' is the server as a whole). */
  public static grpc(service: string = ''): BlueGreenProbe {
    return new BlueGreenProbe('grpc', service);
  }

  /** An HTTP GET of `path` on the container port (2xx and 3xx pass). */
  public static http(path: string): BlueGreenProbe {
    return new BlueGreenProbe('http', path);
  }

  /** A TCP connection to the container port. */
  public static tcp(): BlueGreenProbe {
    return new BlueGreenProbe('tcp', '');
  }

  private constructor(public readonly kind: 'grpc' | 'http' | 'tcp', public readonly value: string) {}
}

/** A Job of the release: the seed (first release) or the smoke test (every release). */
export interface BlueGreenJobProps {
  /** Arguments of the image's entrypoint (`['seed']`). The smoke Job can use `$(PREVIEW_TARGET)`. */
  readonly args: string[];
  /** Environment of the Job's container, in order (after `PREVIEW_TARGET` for the smoke Job). @default none */
  readonly env?: EnvVar[];
  /** Retries before the Job fails. @default 2 */
  readonly backoffLimit?: number;
  /** Seconds the Job may run in all, retries included. @default 300 */
  readonly activeDeadlineSeconds?: number;
  /** Seconds a finished Job (and its pods, with their logs) is kept. @default 86400 */
  readonly ttlSecondsAfterFinished?: number;
}

export interface BlueGreenServiceProps extends WorkloadProps {
  /** The image without its tag (`gcr.io/project/todo-api`); each colour runs `<imageRepository>:<its tag>`. */
  readonly imageRepository: string;
  /** The tag the blue colour runs. */
  readonly blueTag: string;
  /** The tag the green colour runs. */
  readonly greenTag: string;
  /** The colour the public Service selects; the preview Service selects the other. */
  readonly activeColor: Color;
  /** The `app.kubernetes.io/name` label. @default the name */
  readonly appName?: string;
  /** The `app.kubernetes.io/component` label of the colours. @default 'server' */
  readonly component?: string;
  /** Port the container listens on. @default 8080 */
  readonly port?: number;
  /** Name of the container port (and of the Services' port). @default 'http' */
  readonly portName?: string;
  /** `appProtocol` of the Services' port (`grpc`, `http`). @default none */
  readonly appProtocol?: string;
  /** Port the Services expose. @default the container port */
  readonly servicePort?: number;
  /** How the public Service is exposed; the preview Service is always ClusterIP. @default ServiceType.CLUSTER_IP */
  readonly serviceType?: ServiceType;
  /** @default BlueGreenProbe.tcp() */
  readonly probe?: BlueGreenProbe;
  /** Container arguments. @default the image's */
  readonly args?: string[];
  /**
   * Pods of the idle colour: warm (ready to take traffic at once, and to be smoke-tested), or 0.
   * Without autoscaling it is the idle Deployment's `replicas`; with autoscaling it is the idle
   * colour's autoscaler minimum, and 0 means no autoscaler and `replicas: 0`.
   * @default as many as the active colour (replicas, or autoscaling.minReplicas)
   */
  readonly idleReplicas?: number;
  /** The seed Job (runs the idle colour's image). @default no seed Job */
  readonly seedJob?: BlueGreenJobProps;
  /** The smoke-test Job against the preview Service (runs the idle colour's image). @default no smoke Job */
  readonly smokeJob?: BlueGreenJobProps;
  /**
   * Argo CD hooks and sync waves, so that a sync runs seed (wave -1) → colours ready, with their
   * NetworkPolicy (wave 0) → smoke (wave 1) → public Service (wave 2), and stops where a step fails.
   * @default false
   */
  readonly argoCdHooks?: boolean;
  /**
   * Renders the Jobs suspended (`spec.suspend: true`): `kubectl apply` then creates them without
   * running them, and a release tool runs each at its step by creating it with `suspend: false`
   * (`npm run release` does). Unsuspended, every apply that creates a Job runs it. Not with
   * `argoCdHooks` (Argo CD runs its hooks as they are written: a suspended hook never ends).
   * @default true without argoCdHooks, false with
   */
  readonly suspendJobs?: boolean;
}

export const BLUE_GREEN_DEFAULTS = {
  port: 8080,
  portName: 'http',
  component: 'server',
  replicas: 1,
  terminationGraceSeconds: 30,
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } as Resources,
  backoffLimit: 2,
  activeDeadlineSeconds: 300,
  ttlSecondsAfterFinished: 86_400,
  /** `<name>-smoke-<10 hex>` must fit in 63 characters (the Job's pods carry it as a label). */
  maxNameLength: 47,
} as const;

/** The role of a release Job: its `app.kubernetes.io/component` label, as the release CLI finds it. */
export type JobRole = 'seed' | 'smoke';

/**
 * A workload released blue/green: two Deployments `<name>-blue` and `<name>-green`, each running its
 * own tag of one image, the public Service `<name>` selecting the active colour's pods and the
 * preview Service `<name>-preview` selecting the idle colour's, so that a new release can be
 * tested before it takes traffic. Optionally a seed Job and a smoke Job against the preview Service,
 * each named by a hash of what it runs (a Job's pod template is immutable: a changed Job is a new Job).
 *
 * - the colours' selectors are `app.kubernetes.io/name`, `app.kubernetes.io/instance` and
 *   `mega8s.io/color`: the same whichever colour is active, so a flip changes only the Services'
 *   (mutable) selectors;
 * - with `autoscaling`, each colour has its own HorizontalPodAutoscaler and neither Deployment has
 *   `replicas` (an idle colour at 0 has `replicas: 0` and no autoscaler);
 * - `selector` (name and instance) selects both colours: declare it to the workload's servers;
 * - synth-time checks (`node.addValidation`) of the rendered objects: the public Service selects exactly
 *   the active colour's pods, the preview exactly the idle colour's, both colours exist, and each
 *   colour's selector is the colour-only one.
 *
 * Contract ids: `Blue`, `Green` (Deployments), `BlueHpa`, `GreenHpa`, `BluePdb`, `GreenPdb`, `Service`,
 * `Preview`, `NetworkPolicy`, `SeedJob`, `SmokeJob`.
 */
export class BlueGreenService extends Workload {
  public readonly activeColor: Color;
  public readonly idleColor: Color;
  public readonly appName: string;
  public readonly servicePort: number;
  public readonly deployments: Readonly<Record<Color, ApiObject>>;
  /** The colours' autoscalers (absent for a colour without one). */
  public readonly autoscalers: Readonly<Partial<Record<Color, ApiObject>>>;
  public readonly podDisruptionBudgets: Readonly<Partial<Record<Color, ApiObject>>>;
  /** The public Service `<name>` (the active colour). */
  public readonly service: ApiObject;
  /** The preview Service `<name>-preview` (the idle colour). */
  public readonly previewService: ApiObject;
  public readonly seedJob?: ApiObject;
  public readonly smokeJob?: ApiObject;
  /** `<name>-preview:<servicePort>`: where the smoke Job calls. */
  public readonly previewTarget: string;
  /** Whether the Jobs are rendered suspended (see `suspendJobs`). */
  public readonly suspendJobs: boolean;
  /** The images of the colours. */
  public readonly images: Readonly<Record<Color, string>>;

  constructor(scope: Construct, id: string, props: BlueGreenServiceProps) {
    const p = (props ?? {}) as BlueGreenServiceProps;
    const active = p.activeColor;
    const activeTag = active === Color.GREEN ? p.greenTag : p.blueTag;
    super(scope, id, props, {
      appName: p.appName ?? p.name ?? id,
      component: p.component ?? BLUE_GREEN_DEFAULTS.component,
      image: typeof p.imageRepository === 'string' && typeof activeTag === 'string' ? `${p.imageRepository}:${activeTag}` : p.imageRepository,
      imageProp: 'imageRepository',
      maxNameLength: BLUE_GREEN_DEFAULTS.maxNameLength,
      defaults: {
        resources: BLUE_GREEN_DEFAULTS.resources,
        terminationGraceSeconds: BLUE_GREEN_DEFAULTS.terminationGraceSeconds,
        replicas: BLUE_GREEN_DEFAULTS.replicas,
      },
      autoscaling: true,
      reservedEnv: [],
    });
    if (!Object.values(Color).includes(active)) {
      throw new PropError(this, 'activeColor', `activeColor ${show(active)} is not one of ${Object.values(Color).join(', ')}`);
    }
    checkImage(this, 'imageRepository', p.imageRepository);
    if (/[:@]/.test(p.imageRepository.slice(p.imageRepository.lastIndexOf('/') + 1))) {
      throw new PropError(this, 'imageRepository', `imageRepository ${show(p.imageRepository)} has a tag or digest: expected the image without one (the colours' tags are blueTag and greenTag)`);
    }
    const tags: Record<Color, string> = { blue: checkTag(this, 'blueTag', p.blueTag), green: checkTag(this, 'greenTag', p.greenTag) };
    this.activeColor = active;
    const idle = this.idleColor = otherColor(active);
    this.appName = this.identity.name;
    const name = this.name;
    const port = checkPort(this, 'port', p.port ?? BLUE_GREEN_DEFAULTS.port);
    const portName = p.portName ?? BLUE_GREEN_DEFAULTS.portName;
    if (typeof portName !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(portName) || portName.length > 15 || !/[a-z]/.test(portName)) {
      throw new PropError(this, 'portName', `portName ${show(portName)} is not a valid port name: expected at most 15 lowercase letters, digits and '-', with a letter`);
    }
    if (p.appProtocol !== undefined) checkLabelValue(this, 'appProtocol', p.appProtocol);
    this.servicePort = checkPort(this, 'servicePort', p.servicePort ?? port);
    const exposure = serviceTypeSpec(this, 'serviceType', p.serviceType ?? ServiceType.CLUSTER_IP);
    const probe = p.probe ?? BlueGreenProbe.tcp();
    if (!(probe instanceof BlueGreenProbe)) {
      throw new PropError(this, 'probe', `probe ${show(probe)} is not a BlueGreenProbe: expected BlueGreenProbe.grpc(), .http(path) or .tcp()`);
    }
    if (probe.kind === 'http' && !probe.value.startsWith('/')) {
      throw new PropError(this, 'probe', `probe path ${show(probe.value)} does not start with '/': expected an absolute path`);
    }
    const args = checkStrings(this, 'args', p.args);
    const argo = p.argoCdHooks ?? false;
    if (typeof argo !== 'boolean') throw new PropError(this, 'argoCdHooks', `argoCdHooks ${show(argo)} is not a boolean: expected true or false`);
    const suspend = p.suspendJobs ?? !argo;
    if (typeof suspend !== 'boolean') throw new PropError(this, 'suspendJobs', `suspendJobs ${show(suspend)} is not a boolean: expected true or false`);
    if (suspend && argo) throw new PropError(this, 'suspendJobs', 'suspendJobs true conflicts with argoCdHooks: Argo CD would wait forever for a suspended hook; expected suspendJobs false (or no argoCdHooks)');
    this.suspendJobs = suspend;
    const autoscaling = p.autoscaling;
    const activeMin = autoscaling ? (autoscaling.minReplicas ?? 1) : this.replicas!;
    const idleReplicas = p.idleReplicas === undefined ? activeMin
      : checkInteger(this, 'idleReplicas', p.idleReplicas, 0, autoscaling ? autoscaling.maxReplicas : Number.MAX_SAFE_INTEGER);
    this.addPort({ name: portName, port, protocol: 'TCP' });
    this.previewTarget = `${name}-preview:${this.servicePort}`;
    this.images = { blue: `${p.imageRepository}:${tags.blue}`, green: `${p.imageRepository}:${tags.green}` };

    const wave = (n: number): Record<string, string> => (argo ? { [ARGOCD_SYNC_WAVE]: String(n) } : {});
    const probeJson = (kind: 'readiness' | 'liveness'): Record<string, unknown> => ({
      ...(probe.kind === 'grpc' ? { grpc: { port, ...(probe.value ? { service: probe.value } : {}) } }
        : probe.kind === 'http' ? { httpGet: { path: probe.value, port: portName } } : { tcpSocket: { port: portName } }),
      ...PROBE_TIMINGS[kind],
    });
    const colorLabels = (color: Color): Record<string, string> => ({ ...this.labels, [LABEL_VERSION]: versionLabel(tags[color]), [COLOR_LABEL]: color });

    const deployments = {} as Record<Color, ApiObject>;
    const autoscalers: Partial<Record<Color, ApiObject>> = {};
    const pdbs: Partial<Record<Color, ApiObject>> = {};
    for (const color of [Color.BLUE, Color.GREEN]) {
      const id2 = color === Color.BLUE ? 'Blue' : 'Green';
      const labels = colorLabels(color);
      const isActive = color === active;
      const hpa = autoscaling !== undefined && (isActive || idleReplicas > 0);
      const replicas = hpa ? undefined : isActive ? this.replicas! : idleReplicas;
      const template = this.podTemplate({
        containers: [{
          name: 'server',
          image: this.images[color],
          ...(args ? { args } : {}),
          ports: [{ name: portName, containerPort: port, protocol: 'TCP' }],
          ...(this.env.length ? { env: this.env } : {}),
          readinessProbe: probeJson('readiness'),
          livenessProbe: probeJson('liveness'),
          resources: this.resources,
          securityContext: restrictedContainerSecurityContext(),
        }],
      });
      deployments[color] = this.object(id2, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `${name}-${color}`, labels, ...(argo ? { annotations: wave(0) } : {}) },
        spec: {
          ...(replicas !== undefined ? { replicas } : {}),
          revisionHistoryLimit: 3,
          selector: { matchLabels: colorSelector(this.appName, name, color) },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
          template: { ...template, metadata: { ...(template.metadata as object), labels } },
        },
      });
      if (hpa) {
        const a = autoscaling!;
        const behavior: Record<string, unknown> = {};
        if (a.behavior?.scaleDownStabilizationSeconds !== undefined) behavior.scaleDown = { stabilizationWindowSeconds: a.behavior.scaleDownStabilizationSeconds };
        if (a.behavior?.scaleUpStabilizationSeconds !== undefined) behavior.scaleUp = { stabilizationWindowSeconds: a.behavior.scaleUpStabilizationSeconds };
        autoscalers[color] = this.object(`${id2}Hpa`, {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: `${name}-${color}`, labels, ...(argo ? { annotations: wave(0) } : {}) },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${name}-${color}` },
            minReplicas: isActive ? activeMin : idleReplicas,
            maxReplicas: a.maxReplicas,
            metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuUtilization ?? 80 } } }],
            ...(Object.keys(behavior).length ? { behavior } : {}),
          },
        });
      }
      const most = hpa ? autoscaling!.maxReplicas : replicas!;
      if (most > 1) {
        pdbs[color] = this.object(`${id2}Pdb`, {
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: `${name}-${color}`, labels, ...(argo ? { annotations: wave(0) } : {}) },
          spec: { maxUnavailable: 1, selector: { matchLabels: colorSelector(this.appName, name, color) } },
        });
      }
    }
    this.deployments = deployments;
    this.autoscalers = autoscalers;
    this.podDisruptionBudgets = pdbs;

    const serviceFor = (id2: string, serviceName: string, color: Color, type: string, headless: boolean, annotations: Record<string, string>): ApiObject => this.object(id2, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: serviceName, labels: { ...this.labels, [LABEL_VERSION]: versionLabel(tags[color]) }, ...(Object.keys(annotations).length ? { annotations } : {}) },
      spec: {
        type,
        ...(headless ? { clusterIP: 'None' } : {}),
        selector: colorSelector(this.appName, name, color),
        ports: [{ name: portName, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}), protocol: 'TCP', port: this.servicePort, targetPort: portName }],
      },
    });
    this.previewService = serviceFor('Preview', `${name}-preview`, idle, 'ClusterIP', false, wave(0));
    this.service = serviceFor('Service', name, active, exposure.type, exposure.headless, wave(2));
    // One policy for both colours (the selector matches either): the declared clients, and outside
    // traffic when the public Service is a LoadBalancer or NodePort. Under Argo CD it syncs with the
    // colours it protects (wave 0), before the smoke Job (wave 1) that must get through it.
    const policy = this.admitIngress({ external: exposure.external ? { ports: this.ports } : undefined });
    if (argo) policy.metadata.addAnnotation(ARGOCD_SYNC_WAVE, '0');

    if (p.seedJob !== undefined) this.seedJob = this.job('SeedJob', 'seed', p.seedJob, [], argo ? { [ARGOCD_HOOK]: 'Sync', [ARGOCD_HOOK_DELETE_POLICY]: 'BeforeHookCreation', ...wave(-1) } : {});
    if (p.smokeJob !== undefined) {
      this.smokeJob = this.job('SmokeJob', 'smoke', p.smokeJob, [{ name: PREVIEW_TARGET_ENV, value: this.previewTarget }],
        argo ? { [ARGOCD_HOOK]: 'Sync', [ARGOCD_HOOK_DELETE_POLICY]: 'BeforeHookCreation', ...wave(1) } : {});
    }

    this.node.addValidation({ validate: () => this.checkRendered() });
  }

  /** The labels that select a release Job's pods (for `allowFrom` of the servers it calls). */
  public jobSelector(role: JobRole): Record<string, string> {
    return selectorLabels({ name: this.appName, instance: `${this.name}-${role}` });
  }

  /** A release Job, named `<name>-<role>-<10 hex of the SHA-256 of its spec>`. */
  private job(id: string, role: JobRole, j: BlueGreenJobProps, first: EnvVar[], annotations: Record<string, string>): ApiObject {
    const prop = role === 'seed' ? 'seedJob' : 'smokeJob';
    if (j === null || typeof j !== 'object') throw new PropError(this, prop, `${prop} ${show(j)} is not an object: expected { args, env, backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished }`);
    const args = checkStrings(this, `${prop}.args`, j.args);
    if (!args || args.length === 0) throw new PropError(this, `${prop}.args`, `${prop}.args ${show(j.args)} is empty: expected the arguments that run the ${role}`);
    args.forEach((a) => checkNonEmpty(this, `${prop}.args`, a));
    const env = this.validateEnv(`${prop}.env`, [...first, ...(j.env ?? [])]);
    const backoffLimit = checkInteger(this, `${prop}.backoffLimit`, j.backoffLimit ?? BLUE_GREEN_DEFAULTS.backoffLimit, 0, 10);
    const activeDeadlineSeconds = checkInteger(this, `${prop}.activeDeadlineSeconds`, j.activeDeadlineSeconds ?? BLUE_GREEN_DEFAULTS.activeDeadlineSeconds, 1, 86_400);
    const ttlSecondsAfterFinished = checkInteger(this, `${prop}.ttlSecondsAfterFinished`, j.ttlSecondsAfterFinished ?? BLUE_GREEN_DEFAULTS.ttlSecondsAfterFinished, 0, 30 * 86_400);
    const idle = this.idleColor;
    const tag = this.images[idle].slice(this.images[idle].lastIndexOf(':') + 1);
    const labels = recommendedLabels({ name: this.appName, instance: `${this.name}-${role}`, component: role, partOf: this.identity.partOf, version: versionLabel(tag) }, this.extraLabels());
    const template = this.podTemplate({
      restartPolicy: 'Never',
      containers: [{
        name: role,
        image: this.images[idle],
        args,
        ...(env.length ? { env } : {}),
        resources: this.resources,
        securityContext: restrictedContainerSecurityContext(),
      }],
    });
    const spec = {
      ...(this.suspendJobs ? { suspend: true } : {}),
      backoffLimit,
      activeDeadlineSeconds,
      ttlSecondsAfterFinished,
      template: { ...template, metadata: { ...(template.metadata as object), labels } },
    };
    const hash = createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 10);
    return this.object(id, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `${this.name}-${role}-${hash}`, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
      spec,
    });
  }

  /** The `labels` prop (every label of `this.labels` that is not a recommended one). */
  private extraLabels(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.labels).filter(([k]) => !k.startsWith('app.kubernetes.io/')));
  }

  /** The synth-time checks, on the objects as they render (escape-hatch changes included). */
  private checkRendered(): string[] {
    const errors: string[] = [];
    const colors = [Color.BLUE, Color.GREEN];
    const rendered: Partial<Record<Color, any>> = {};
    for (const color of colors) {
      const d = this.node.tryFindChild(color === Color.BLUE ? 'Blue' : 'Green');
      if (!(d instanceof ApiObject)) errors.push(`the ${color} Deployment ${this.name}-${color} is missing: both colours must exist`);
      else rendered[color] = d.toJson();
    }
    const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
      !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
    for (const color of colors) {
      const d = rendered[color];
      if (!d) continue;
      const expected = colorSelector(this.appName, this.name, color);
      const actual = d.spec?.selector?.matchLabels;
      if (canonicalJson(actual) !== canonicalJson(expected) || d.spec?.selector?.matchExpressions !== undefined) {
        errors.push(`the ${color} Deployment's selector ${canonicalJson(d.spec?.selector)} is not ${canonicalJson({ matchLabels: expected })}: the selector is immutable and must not depend on the active colour`);
      }
      if (!matches(actual, d.spec?.template?.metadata?.labels)) errors.push(`the ${color} Deployment's selector does not match its own pods`);
    }
    for (const [svc, want, what] of [[this.service, this.activeColor, 'public'], [this.previewService, this.idleColor, 'preview']] as const) {
      const selector = svc.toJson().spec?.selector as Record<string, string> | undefined;
      const selected = colors.filter((c) => rendered[c] && matches(selector, rendered[c].spec?.template?.metadata?.labels));
      if (selected.length !== 1 || selected[0] !== want) {
        errors.push(`the ${what} Service ${svc.name} selects ${selected.length ? selected.join(' and ') : 'no colour\'s'} pods: expected exactly the ${what === 'public' ? 'active' : 'idle'} colour's (${want})`);
      }
    }
    return errors;
  }
}

/** A tag as a label value (tags allow 128 characters, labels 63). */
function versionLabel(tag: string): string {
  return tag.replace(/^[^A-Za-z0-9]+/, '').slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}

function checkTag(scope: Construct, prop: string, value: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not an image tag: expected up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`);
  }
  return value;
}

function checkStrings(scope: Construct, prop: string, value: string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not a list of strings`);
  }
  return [...value];
}
