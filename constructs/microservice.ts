import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CONFIG_HASH_ANNOTATION, configHashAnnotations } from './config-hash';
import { AppIdentity, recommendedLabels, selectorLabels, versionOfImage } from './labels';
import { Resources, resolveResources } from './resources';
import { ServiceType, serviceTypeSpec } from './service-type';
import { onePodAtATime } from './stateful';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security';
import { PropError, checkDns1123Label, checkInteger, checkNonEmpty, checkPort, show } from './validate';

export interface MicroserviceProps {
  /** Container image. */
  readonly image: string;
  /**
   * Name of the Deployment, Service and PodDisruptionBudget, and the `app.kubernetes.io/instance` label.
   * @default the construct id
   */
  readonly name?: string;
  /**
   * The `app.kubernetes.io/name` label.
   * @default the name
   */
  readonly appName?: string;
  /**
   * `app.kubernetes.io/component` label.
   * @default 'server'
   */
  readonly component?: string;
  /**
   * `app.kubernetes.io/part-of` label.
   * @default none
   */
  readonly partOf?: string;
  /**
   * Port the container listens on. Keep it unprivileged (1024 or above): the pod runs without
   * capabilities; the Service can still expose 80.
   * @default 8080
   */
  readonly port?: number;
  /**
   * Name of the container port; the Service targets it by name.
   * @default 'http'
   */
  readonly portName?: string;
  /**
   * Port the Service exposes.
   * @default the container port
   */
  readonly servicePort?: number;
  /**
   * How the Service is exposed.
   * @default ServiceType.CLUSTER_IP
   */
  readonly serviceType?: ServiceType;
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Container entrypoint.
   * @default the image's
   */
  readonly command?: string[];
  /**
   * Container arguments.
   * @default the image's
   */
  readonly args?: string[];
  /**
   * Environment variables, in order: Kubernetes expands `$(VAR)` only from the entries before.
   * @default none
   */
  readonly env?: kplus.k8s.EnvVar[];
  /**
   * ConfigMaps whose keys become environment variables (`envFrom`); their content is part of the
   * config hash, so editing one rolls the pods.
   * @default none
   */
  readonly envFromConfigMaps?: kplus.k8s.KubeConfigMap[];
  /**
   * Path of an HTTP health endpoint for the probes.
   * @default none: the probes check that the port accepts TCP connections
   */
  readonly httpHealthPath?: string;
  /**
   * Container resources; fields left out keep their defaults.
   * @default requests cpu 50m, memory 64Mi; limits memory 128Mi
   */
  readonly resources?: Resources;
  /**
   * Writable directories (emptyDirs) under the read-only root filesystem.
   * @default ['/tmp']
   */
  readonly writablePaths?: string[];
  /**
   * User id the container runs as.
   * @default 65532
   */
  readonly runAsUser?: number;
  /**
   * Seconds a pod gets between SIGTERM and SIGKILL.
   * @default 30
   */
  readonly terminationGraceSeconds?: number;
  /**
   * Extra labels on every object and on the pods (never in selectors).
   * @default none
   */
  readonly labels?: Record<string, string>;
  /**
   * Extra annotations on the pod template (a change rolls the pods).
   * @default none
   */
  readonly podAnnotations?: Record<string, string>;
}

export const MICROSERVICE_DEFAULTS = {
  port: 8080,
  portName: 'http',
  replicas: 1,
  component: 'server',
  terminationGraceSeconds: 30,
  writablePaths: ['/tmp'],
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } as Resources,
} as const;

/**
 * A stateless service: a Deployment and the Service in front of it (plus a PodDisruptionBudget
 * when there is more than one replica).
 *
 * - one named container port, targeted by name from the Service (which may expose another port,
 *   e.g. 80 in front of an unprivileged 8080);
 * - TCP (or HTTP) readiness and liveness probes;
 * - the pod template carries `mega8s.io/config-hash`, the hash of its env and `envFrom`
 *   ConfigMaps: a configuration change, and only that, rolls the pods;
 * - Pod Security "restricted", read-only root filesystem, resources always set;
 * - selectors on `app.kubernetes.io/name` + `app.kubernetes.io/instance` only.
 *
 * Contract ids: `Deployment`, `Service`, `Pdb`.
 */
export class Microservice extends Construct {
  public readonly name: string;
  /** The container port. */
  public readonly port: number;
  /** The port the Service exposes. */
  public readonly servicePort: number;
  /** The immutable labels selecting this service's pods. */
  public readonly selector: Record<string, string>;
  /** The hash in the pod template's `mega8s.io/config-hash` annotation. */
  public readonly configHash: string;
  public readonly deployment: kplus.k8s.KubeDeployment;
  public readonly service: kplus.k8s.KubeService;
  /** Present when replicas > 1. */
  public readonly podDisruptionBudget?: kplus.k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: MicroserviceProps) {
    super(scope, id);
    const D = MICROSERVICE_DEFAULTS;
    const name = this.name = checkDns1123Label(this, 'name', props.name ?? id);
    checkNonEmpty(this, 'image', props.image);
    if (/\s/.test(props.image)) throw new PropError(this, 'image', `image ${show(props.image)} contains white space`);
    const port = this.port = checkPort(this, 'port', props.port ?? D.port);
    if (port < 1024) {
      throw new PropError(this, 'port', `port ${port} is privileged: the container runs without capabilities and cannot bind it; expected 1024 or above (set servicePort to expose ${port})`);
    }
    const portName = props.portName ?? D.portName;
    if (typeof portName !== 'string' || !/^(?=.{1,15}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(portName) || !/[a-z]/.test(portName)) {
      throw new PropError(this, 'portName', `portName ${show(portName)} is not a valid port name (at most 15 lowercase letters, digits and '-', with at least one letter)`);
    }
    this.servicePort = checkPort(this, 'servicePort', props.servicePort ?? port);
    const replicas = checkInteger(this, 'replicas', props.replicas ?? D.replicas, 0);
    const grace = checkInteger(this, 'terminationGraceSeconds', props.terminationGraceSeconds ?? D.terminationGraceSeconds, 0);
    const exposure = serviceTypeSpec(this, 'serviceType', props.serviceType ?? ServiceType.CLUSTER_IP);
    const appName = checkDns1123Label(this, 'appName', props.appName ?? name);
    const env = [...(props.env ?? [])];
    const seen = new Set<string>();
    for (const e of env) {
      if (typeof e?.name !== 'string' || !/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(e.name)) throw new PropError(this, 'env', `env name ${show(e?.name)} is not a valid environment variable name`);
      if (seen.has(e.name)) throw new PropError(this, 'env', `env ${show(e.name)} is set twice`);
      seen.add(e.name);
    }
    if (props.httpHealthPath !== undefined && !/^\/\S*$/.test(props.httpHealthPath)) {
      throw new PropError(this, 'httpHealthPath', `httpHealthPath ${show(props.httpHealthPath)} is not an absolute URL path (starting with '/', no spaces)`);
    }
    const writable = props.writablePaths ?? [...D.writablePaths];
    for (const p of writable) {
      if (typeof p !== 'string' || !/^\/[^\s]*$/.test(p) || p === '/') throw new PropError(this, 'writablePaths', `writablePaths entry ${show(p)} is not an absolute path below /`);
    }
    if (new Set(writable).size !== writable.length) throw new PropError(this, 'writablePaths', `writablePaths ${show(writable)} lists a path twice`);
    const configMaps = [...(props.envFromConfigMaps ?? [])];

    const identity: AppIdentity = { name: appName, instance: name, component: props.component ?? D.component, partOf: props.partOf, version: versionOfImage(props.image) };
    const labels = recommendedLabels(identity, props.labels);
    this.selector = selectorLabels(identity);

    const hashAnnotations = configHashAnnotations({ configMaps, env });
    this.configHash = hashAnnotations[CONFIG_HASH_ANNOTATION];
    const check = props.httpHealthPath !== undefined
      ? { httpGet: { path: props.httpHealthPath, port: kplus.k8s.IntOrString.fromString(portName) } }
      : { tcpSocket: { port: kplus.k8s.IntOrString.fromString(portName) } };
    // Volumes are named after their paths (/tmp -> tmp, /var/cache/nginx -> var-cache-nginx).
    const volumeNames = writable.map((p) => p.slice(1).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, ''));
    volumeNames.forEach((v, i) => {
      if (v === '' || volumeNames.indexOf(v) !== i) throw new PropError(this, 'writablePaths', `writablePaths entry ${show(writable[i])} gives the volume name ${show(v)}, which is empty or taken by another path`);
    });
    const volumes: kplus.k8s.Volume[] = volumeNames.map((v) => ({ name: v, emptyDir: {} }));

    this.deployment = new kplus.k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name, labels },
      spec: {
        replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: kplus.k8s.IntOrString.fromString('25%'), maxUnavailable: kplus.k8s.IntOrString.fromNumber(0) } },
        template: {
          metadata: {
            labels,
            annotations: { ...props.podAnnotations, ...hashAnnotations },
          },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: grace,
            securityContext: restrictedPodSecurityContext({ runAsUser: props.runAsUser }),
            containers: [{
              name,
              image: props.image,
              ...(props.command ? { command: [...props.command] } : {}),
              ...(props.args ? { args: [...props.args] } : {}),
              ports: [{ name: portName, containerPort: port, protocol: 'TCP' }],
              ...(env.length ? { env } : {}),
              ...(configMaps.length ? { envFrom: configMaps.map((cm) => ({ configMapRef: { name: cm.name } })) } : {}),
              readinessProbe: { ...check, initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
              livenessProbe: { ...check, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
              resources: resolveResources(this, 'resources', props.resources, D.resources),
              securityContext: restrictedContainerSecurityContext(),
              ...(writable.length ? { volumeMounts: writable.map((p, i) => ({ name: volumeNames[i], mountPath: p })) } : {}),
            }],
            ...(volumes.length ? { volumes } : {}),
          },
        },
      },
    });

    this.service = new kplus.k8s.KubeService(this, 'Service', {
      metadata: { name, labels },
      spec: {
        type: exposure.type,
        ...(exposure.headless ? { clusterIp: 'None' } : {}),
        selector: this.selector,
        ports: [{ name: portName, protocol: 'TCP', port: this.servicePort, targetPort: kplus.k8s.IntOrString.fromString(portName) }],
      },
    });

    if (replicas > 1) {
      this.podDisruptionBudget = onePodAtATime(this, name, labels, this.selector);
    }
  }
}
