import { Construct } from 'constructs';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { DOWNWARD_ENV, downwardEnv } from './downward';
import { AppIdentity, recommendedLabels, selectorLabels, versionOfImage } from './labels';
import { PlainApiObject } from './plain-api-object';
import { Resources, mergeResources } from './resources';
import { ServiceType, serviceTypeSpec } from './service-type';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security';
import { PropError, checkDns1123Label, checkInteger, checkLabels, checkNonEmpty, checkPort, show } from './validate';

/** Cloud Endpoints (ESPv2) sidecar in front of the gRPC server. */
export interface EndpointsProps {
  /** The Endpoints service name, e.g. `grpc-server.endpoints.my-project.cloud.goog`. */
  readonly service: string;
  /**
   * ESPv2 image.
   * @default 'gcr.io/endpoints-release/endpoints-runtime:2'
   */
  readonly image?: string;
  /**
   * Port ESPv2 listens on; the Service targets it.
   * @default 9000
   */
  readonly listenerPort?: number;
  /**
   * ESPv2 container resources.
   * @default requests cpu 50m, memory 64Mi; limits memory 256Mi
   */
  readonly resources?: Resources;
}

export interface GrpcServiceProps {
  /** Container image of the gRPC server. */
  readonly image: string;
  /**
   * Name of the Deployment, Service and PodDisruptionBudget, and the `app.kubernetes.io/instance` label.
   * @default the construct id
   */
  readonly name?: string;
  /**
   * The `app.kubernetes.io/name` label: what the server is.
   * @default the name
   */
  readonly appName?: string;
  /**
   * `app.kubernetes.io/part-of` label.
   * @default none
   */
  readonly partOf?: string;
  /**
   * Port the gRPC server listens on (container port `grpc`).
   * @default 10000
   */
  readonly port?: number;
  /**
   * Port the Service exposes.
   * @default the container port
   */
  readonly servicePort?: number;
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * How the Service is exposed.
   * @default ServiceType.CLUSTER_IP
   */
  readonly serviceType?: ServiceType;
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
  /**
   * Extra environment variables of the server container, in addition to the downward-API
   * `POD_NAME`, `POD_NAMESPACE`, `POD_IP` and `NODE_NAME`.
   * @default none
   */
  readonly env?: Record<string, string>;
  /**
   * Server container resources; fields left out keep their defaults.
   * @default requests cpu 50m, memory 64Mi; limits memory 128Mi
   */
  readonly resources?: Resources;
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
   * The grpc.health.v1 service name the probes ask about.
   * @default '' (the server as a whole)
   */
  readonly healthService?: string;
  /**
   * Seconds a pod gets between SIGTERM and SIGKILL.
   * @default 30
   */
  readonly terminationGraceSeconds?: number;
  /**
   * User id the containers run as (the image's user must not need to be root).
   * @default 65532
   */
  readonly runAsUser?: number;
  /**
   * Puts the Cloud Endpoints ESPv2 sidecar in front of the server; the Service then targets it.
   * @default no sidecar
   */
  readonly endpoints?: EndpointsProps;
}

export const GRPC_SERVICE_DEFAULTS = {
  port: 10000,
  replicas: 1,
  terminationGraceSeconds: 30,
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } as Resources,
  endpointsImage: 'gcr.io/endpoints-release/endpoints-runtime:2',
  endpointsListenerPort: 9000,
  endpointsResources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } } as Resources,
} as const;

const PORT_NAME = 'grpc';
const ESP_PORT_NAME = 'esp';

/**
 * A gRPC server: a Deployment and the Service in front of it (plus a PodDisruptionBudget when
 * there is more than one replica).
 *
 * - container port `grpc`, Service port `grpc` with `appProtocol: grpc`;
 * - native gRPC readiness and liveness probes (grpc.health.v1);
 * - `POD_NAME`, `POD_NAMESPACE`, `POD_IP`, `NODE_NAME` from the downward API;
 * - Pod Security "restricted", resources always set;
 * - selectors on `app.kubernetes.io/name` + `app.kubernetes.io/instance` only.
 *
 * Contract ids (renaming one renames a resource): `Deployment`, `Service`, `Pdb`.
 */
export class GrpcService extends Construct {
  /** Name of the Deployment, the Service and the PDB. */
  public readonly name: string;
  /** The port the Service exposes. */
  public readonly servicePort: number;
  /** The immutable labels selecting this service's pods. */
  public readonly selector: Record<string, string>;
  public readonly deployment: PlainApiObject;
  public readonly service: PlainApiObject;
  /** Present when replicas > 1. */
  public readonly podDisruptionBudget?: PlainApiObject;

  constructor(scope: Construct, id: string, props: GrpcServiceProps) {
    super(scope, id);
    const name = this.name = checkDns1123Label(this, 'name', props.name ?? id);
    checkNonEmpty(this, 'image', props.image);
    if (/\s/.test(props.image)) throw new PropError(this, 'image', `image ${show(props.image)} contains white space`);
    const port = checkPort(this, 'port', props.port ?? GRPC_SERVICE_DEFAULTS.port);
    const replicas = checkInteger(this, 'replicas', props.replicas ?? GRPC_SERVICE_DEFAULTS.replicas, 0);
    const grace = checkInteger(this, 'terminationGraceSeconds', props.terminationGraceSeconds ?? GRPC_SERVICE_DEFAULTS.terminationGraceSeconds, 0);
    const exposure = serviceTypeSpec(this, 'serviceType', props.serviceType ?? ServiceType.CLUSTER_IP);
    const appName = checkDns1123Label(this, 'appName', props.appName ?? name);
    for (const key of Object.keys(props.env ?? {})) {
      if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) throw new PropError(this, 'env', `env name ${show(key)} is not a valid environment variable name`);
      if ((DOWNWARD_ENV as readonly string[]).includes(key)) throw new PropError(this, 'env', `env ${show(key)} is set from the downward API and cannot be overridden`);
    }

    const endpoints = props.endpoints;
    let espPort: number | undefined;
    if (endpoints) {
      checkNonEmpty(this, 'endpoints.service', endpoints.service);
      espPort = checkPort(this, 'endpoints.listenerPort', endpoints.listenerPort ?? GRPC_SERVICE_DEFAULTS.endpointsListenerPort);
      if (espPort === port) throw new PropError(this, 'endpoints.listenerPort', `endpoints.listenerPort ${espPort} is the server's own port: expected a different port`);
    }
    this.servicePort = checkPort(this, 'servicePort', props.servicePort ?? port);

    const identity: AppIdentity = {
      name: appName, instance: name, component: 'grpc-server', partOf: props.partOf, version: versionOfImage(props.image),
    };
    const labels = recommendedLabels(identity, checkLabels(this, 'labels', props.labels));
    this.selector = selectorLabels(identity);

    const probe = (kind: 'readiness' | 'liveness'): IProbe => ({
      grpc: { port, ...(props.healthService ? { service: props.healthService } : {}) },
      ...(kind === 'readiness'
        ? { initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 }
        : { initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 }),
    });

    const containers: IContainer[] = [{
      name: 'server',
      image: props.image,
      ...(props.command ? { command: [...props.command] } : {}),
      ...(props.args ? { args: [...props.args] } : {}),
      ports: [{ name: PORT_NAME, containerPort: port, protocol: 'TCP' }],
      env: [
        ...downwardEnv(DOWNWARD_ENV),
        ...Object.keys(props.env ?? {}).sort().map((k) => ({ name: k, value: props.env![k] })),
      ],
      readinessProbe: probe('readiness'),
      livenessProbe: probe('liveness'),
      resources: mergeResources(this, 'resources', props.resources, GRPC_SERVICE_DEFAULTS.resources),
      securityContext: restrictedContainerSecurityContext(),
    }];
    const volumes: IVolume[] = [];
    if (endpoints && espPort !== undefined) {
      // ESPv2 writes its generated Envoy configuration under /tmp: an emptyDir keeps the root read-only.
      volumes.push({ name: 'esp-tmp', emptyDir: { sizeLimit: '64Mi' } });
      containers.push({
        name: 'esp',
        image: endpoints.image ?? GRPC_SERVICE_DEFAULTS.endpointsImage,
        args: [
          `--listener_port=${espPort}`,
          `--backend=grpc://127.0.0.1:${port}`,
          `--service=${endpoints.service}`,
          '--rollout_strategy=managed',
        ],
        ports: [{ name: ESP_PORT_NAME, containerPort: espPort, protocol: 'TCP' }],
        // ESPv2 answers HTTP health checks on its listener; the kubelet's gRPC probes above still dial
        // the server directly on the pod IP, so the sidecar does not hide an unhealthy backend.
        readinessProbe: { tcpSocket: { port: espPort }, periodSeconds: 5 },
        resources: mergeResources(this, 'endpoints.resources', endpoints.resources, GRPC_SERVICE_DEFAULTS.endpointsResources),
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [{ name: 'esp-tmp', mountPath: '/tmp' }],
      });
    }

    const deployment: IDeployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        template: {
          metadata: { labels, ...(props.podAnnotations ? { annotations: { ...props.podAnnotations } } : {}) },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: grace,
            securityContext: restrictedPodSecurityContext({ runAsUser: props.runAsUser }),
            containers,
            ...(volumes.length ? { volumes } : {}),
          },
        },
      },
    };
    this.deployment = new PlainApiObject(this, 'Deployment', deployment);

    const service: IService = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels },
      spec: {
        type: exposure.type,
        ...(exposure.headless ? { clusterIP: 'None' } : {}),
        selector: this.selector,
        ports: [{
          name: PORT_NAME,
          appProtocol: 'grpc',
          protocol: 'TCP',
          port: this.servicePort,
          targetPort: endpoints ? ESP_PORT_NAME : PORT_NAME,
        }],
      },
    };
    this.service = new PlainApiObject(this, 'Service', service);

    if (replicas > 1) {
      const pdb: IPodDisruptionBudget = {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: this.selector } },
      };
      this.podDisruptionBudget = new PlainApiObject(this, 'Pdb', pdb);
    }
  }
}
