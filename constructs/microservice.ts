import { isIP } from 'net';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { CONFIG_HASH_ANNOTATION, configHashAnnotations } from './config-hash';
import { Resources } from './resources';
import { ServiceType, checkSourceRanges, serviceTypeSpec } from './service-type';
import { restrictedContainerSecurityContext } from './security';
import { PropError, checkLabelValue, checkPort, show } from './validate';
import { PROBE_TIMINGS, Workload, WorkloadProps } from './workload';

export interface MicroserviceProps extends WorkloadProps {
  /** Container image. */
  readonly image: string;
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
   * The only client ranges (CIDRs) a LoadBalancer Service admits: the cloud firewall and the
   * NetworkPolicy both allow just these; the Service then keeps client addresses
   * (`externalTrafficPolicy: Local`) so that the policy can match them. Only with
   * `ServiceType.LOAD_BALANCER`.
   * @default any source
   */
  readonly loadBalancerSourceRanges?: string[];
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
   * ConfigMaps whose keys become environment variables (`envFrom`); their content is part of the
   * config hash, so editing one rolls the pods.
   * @default none
   */
  readonly envFromConfigMaps?: ApiObject[];
  /**
   * Path of an HTTP health endpoint for the probes.
   * @default none: the probes check that the port accepts TCP connections
   */
  readonly httpHealthPath?: string;
  /**
   * Path of an HTTP endpoint for the readiness probe alone (a server that says "not ready" while
   * it drains, and "unhealthy" only when it must be restarted).
   * @default httpHealthPath (or TCP when that is unset too)
   */
  readonly httpReadinessPath?: string;
  /**
   * Addresses of nodes that route to the Service (`spec.externalIPs`): the Service answers on
   * `servicePort` at each of them. Not with a headless Service. The cluster must admit external
   * IPs (many deny them: see the DenyServiceExternalIPs admission plugin). The NetworkPolicy then
   * admits outside traffic on the port, as for a LoadBalancer or NodePort Service.
   * @default none
   */
  readonly externalIPs?: string[];
  /**
   * Writable directories (emptyDirs) under the read-only root filesystem.
   * @default ['/tmp']
   */
  readonly writablePaths?: string[];
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
export class Microservice extends Workload {
  /** The container port. */
  public readonly port: number;
  /** The port the Service exposes. */
  public readonly servicePort: number;
  /** The hash in the pod template's `mega8s.io/config-hash` annotation. */
  public readonly configHash: string;
  public readonly deployment: ApiObject;
  public readonly service: ApiObject;
  /** Present when more than one pod may run (replicas, or the autoscaler's maximum, above 1). */
  public readonly podDisruptionBudget?: ApiObject;

  constructor(scope: Construct, id: string, props: MicroserviceProps) {
    const D = MICROSERVICE_DEFAULTS;
    super(scope, id, props, {
      appName: props.appName ?? props.name ?? id,
      component: props.component ?? D.component,
      image: props.image,
      defaults: { resources: D.resources, terminationGraceSeconds: D.terminationGraceSeconds, replicas: D.replicas },
      autoscaling: true,
      apiAccess: true,
    });
    const name = this.name;
    if (props.component !== undefined) checkLabelValue(this, 'component', props.component);
    const port = this.port = checkPort(this, 'port', props.port ?? D.port);
    if (port < 1024) {
      throw new PropError(this, 'port', `port ${port} is privileged: the container runs without capabilities and cannot bind it; expected 1024 or above (set servicePort to expose ${port})`);
    }
    const portName = props.portName ?? D.portName;
    if (typeof portName !== 'string' || !/^(?=.{1,15}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(portName) || !/[a-z]/.test(portName)) {
      throw new PropError(this, 'portName', `portName ${show(portName)} is not a valid port name (at most 15 lowercase letters, digits and '-', with at least one letter)`);
    }
    this.servicePort = checkPort(this, 'servicePort', props.servicePort ?? port);
    const serviceType = props.serviceType ?? ServiceType.CLUSTER_IP;
    const exposure = serviceTypeSpec(this, 'serviceType', serviceType);
    const sourceRanges = checkSourceRanges(this, 'loadBalancerSourceRanges', props.loadBalancerSourceRanges, serviceType);
    const env = this.env;
    if (props.httpHealthPath !== undefined && (typeof props.httpHealthPath !== 'string' || !/^\/\S*$/.test(props.httpHealthPath))) {
      throw new PropError(this, 'httpHealthPath', `httpHealthPath ${show(props.httpHealthPath)} is not an absolute URL path (starting with '/', no spaces)`);
    }
    if (props.httpReadinessPath !== undefined && (typeof props.httpReadinessPath !== 'string' || !/^\/\S*$/.test(props.httpReadinessPath))) {
      throw new PropError(this, 'httpReadinessPath', `httpReadinessPath ${show(props.httpReadinessPath)} is not an absolute URL path (starting with '/', no spaces)`);
    }
    const externalIPs = props.externalIPs;
    if (externalIPs !== undefined) {
      if (!Array.isArray(externalIPs) || externalIPs.length === 0 || externalIPs.some((ip) => typeof ip !== 'string' || isIP(ip) === 0)) {
        throw new PropError(this, 'externalIPs', `externalIPs ${show(externalIPs)} is not a non-empty list of IP addresses`);
      }
      if (new Set(externalIPs).size !== externalIPs.length) throw new PropError(this, 'externalIPs', `externalIPs ${show(externalIPs)} lists an address twice`);
      if (exposure.headless) throw new PropError(this, 'externalIPs', `externalIPs ${show(externalIPs)} needs a Service with a cluster IP: expected serviceType other than Headless`);
    }
    for (const key of ['command', 'args'] as const) {
      const v = props[key];
      if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) throw new PropError(this, key, `${key} ${show(v)} is not a list of strings`);
    }
    const writable = props.writablePaths ?? [...D.writablePaths];
    if (!Array.isArray(writable)) throw new PropError(this, 'writablePaths', `writablePaths ${show(writable)} is not a list of absolute paths`);
    for (const p of writable) {
      if (typeof p !== 'string' || !/^\/[^\s]*$/.test(p) || p === '/') throw new PropError(this, 'writablePaths', `writablePaths entry ${show(p)} is not an absolute path below /`);
    }
    if (new Set(writable).size !== writable.length) throw new PropError(this, 'writablePaths', `writablePaths ${show(writable)} lists a path twice`);
    const configMaps = [...(props.envFromConfigMaps ?? [])];
    for (const cm of configMaps) {
      if (!(cm instanceof ApiObject) || cm.kind !== 'ConfigMap') throw new PropError(this, 'envFromConfigMaps', `envFromConfigMaps entry ${show(cm)} is not a ConfigMap object`);
    }
    this.addPort({ name: portName, port, protocol: 'TCP' });

    const hashAnnotations = configHashAnnotations({ configMaps, env });
    this.configHash = hashAnnotations[CONFIG_HASH_ANNOTATION];
    const check = (path: string | undefined) => (path !== undefined ? { httpGet: { path, port: portName } } : { tcpSocket: { port: portName } });
    // Volumes are named after their paths (/tmp -> tmp, /var/cache/nginx -> var-cache-nginx).
    const volumeNames = writable.map((p) => p.slice(1).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, ''));
    volumeNames.forEach((v, i) => {
      if (v === '' || volumeNames.indexOf(v) !== i) throw new PropError(this, 'writablePaths', `writablePaths entry ${show(writable[i])} gives the volume name ${show(v)}, which is empty or taken by another path`);
    });
    const volumes = volumeNames.map((v) => ({ name: v, emptyDir: {} }));

    this.deployment = this.object('Deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: {
        ...(this.replicas !== undefined ? { replicas: this.replicas } : {}),
        revisionHistoryLimit: 3,
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        template: this.podTemplate({
          containers: [{
            name,
            image: props.image,
            ...(props.command ? { command: [...props.command] } : {}),
            ...(props.args ? { args: [...props.args] } : {}),
            ports: [{ name: portName, containerPort: port, protocol: 'TCP' }],
            ...(env.length ? { env } : {}),
            ...(configMaps.length ? { envFrom: configMaps.map((cm) => ({ configMapRef: { name: cm.name } })) } : {}),
            readinessProbe: { ...check(props.httpReadinessPath ?? props.httpHealthPath), ...PROBE_TIMINGS.readiness },
            livenessProbe: { ...check(props.httpHealthPath), ...PROBE_TIMINGS.liveness },
            resources: this.resources,
            securityContext: restrictedContainerSecurityContext(),
            ...(writable.length ? { volumeMounts: writable.map((p, i) => ({ name: volumeNames[i], mountPath: p })) } : {}),
          }],
          ...(volumes.length ? { volumes } : {}),
        }, hashAnnotations),
      },
    });

    this.service = this.object('Service', {
      apiVersion: 'v1',
      kind: 'Service',
      spec: {
        type: exposure.type,
        ...(exposure.headless ? { clusterIP: 'None' } : {}),
        ...(sourceRanges ? { loadBalancerSourceRanges: sourceRanges, externalTrafficPolicy: 'Local' } : {}),
        selector: this.selector,
        ports: [{ name: portName, protocol: 'TCP', port: this.servicePort, targetPort: portName }],
        ...(externalIPs ? { externalIPs: [...externalIPs] } : {}),
      },
    });
    // External IPs route outside traffic to the pods as much as a LoadBalancer or NodePort does.
    this.admitIngress({ external: exposure.external || externalIPs ? { ports: this.ports, sourceRanges } : undefined });

    if (this.maxPods > 1) {
      this.podDisruptionBudget = this.onePodAtATime();
    }
    this.addAutoscaler(this.deployment);
  }
}
