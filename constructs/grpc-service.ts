import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { DOWNWARD_ENV, downwardEnv } from './downward';
import { Resources } from './resources';
import { ServiceType, checkSourceRanges, serviceTypeSpec } from './service-type';
import { restrictedContainerSecurityContext } from './security';
import { PropError, checkDns1123Subdomain, checkImage, checkNonEmpty, checkPort, show } from './validate';
import { PROBE_TIMINGS, Workload, WorkloadProps } from './workload';

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

export interface GrpcServiceProps extends WorkloadProps {
  /** Container image of the gRPC server. */
  readonly image: string;
  /**
   * The `app.kubernetes.io/name` label: what the server is.
   * @default the name
   */
  readonly appName?: string;
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
   * The grpc.health.v1 service name the probes ask about.
   * @default '' (the server as a whole)
   */
  readonly healthService?: string;
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
export class GrpcService extends Workload {
  /** The port the Service exposes. */
  public readonly servicePort: number;
  public readonly deployment: ApiObject;
  public readonly service: ApiObject;
  /** Present when more than one pod may run (replicas, or the autoscaler's maximum, above 1). */
  public readonly podDisruptionBudget?: ApiObject;

  constructor(scope: Construct, id: string, props: GrpcServiceProps) {
    super(scope, id, props, {
      appName: props.appName ?? props.name ?? id,
      component: 'grpc-server',
      image: props.image,
      defaults: {
        resources: GRPC_SERVICE_DEFAULTS.resources,
        terminationGraceSeconds: GRPC_SERVICE_DEFAULTS.terminationGraceSeconds,
        replicas: GRPC_SERVICE_DEFAULTS.replicas,
      },
      autoscaling: true,
      reservedEnv: DOWNWARD_ENV,
    });
    const name = this.name;
    const port = checkPort(this, 'port', props.port ?? GRPC_SERVICE_DEFAULTS.port);
    const serviceType = props.serviceType ?? ServiceType.CLUSTER_IP;
    const exposure = serviceTypeSpec(this, 'serviceType', serviceType);
    const sourceRanges = checkSourceRanges(this, 'loadBalancerSourceRanges', props.loadBalancerSourceRanges, serviceType);
    if (props.healthService !== undefined && typeof props.healthService !== 'string') {
      throw new PropError(this, 'healthService', `healthService ${show(props.healthService)} is not a string: expected a grpc.health.v1 service name`);
    }
    const command = checkStrings(this, 'command', props.command);
    const args = checkStrings(this, 'args', props.args);

    const endpoints = props.endpoints;
    let espPort: number | undefined;
    let espResources;
    if (endpoints) {
      checkNonEmpty(this, 'endpoints.service', endpoints.service);
      checkDns1123Subdomain(this, 'endpoints.service', endpoints.service);
      if (endpoints.image !== undefined) checkImage(this, 'endpoints.image', endpoints.image);
      espPort = checkPort(this, 'endpoints.listenerPort', endpoints.listenerPort ?? GRPC_SERVICE_DEFAULTS.endpointsListenerPort);
      if (espPort === port) throw new PropError(this, 'endpoints.listenerPort', `endpoints.listenerPort ${espPort} is the server's own port: expected a different port`);
      espResources = this.validateResources('endpoints.resources', endpoints.resources, GRPC_SERVICE_DEFAULTS.endpointsResources);
    }
    this.servicePort = checkPort(this, 'servicePort', props.servicePort ?? port);
    this.addPort({ name: PORT_NAME, port, protocol: 'TCP' });
    if (espPort !== undefined) this.addPort({ name: ESP_PORT_NAME, port: espPort, protocol: 'TCP' });
    const labels = this.labels;

    const probe = (kind: 'readiness' | 'liveness'): IProbe => ({
      grpc: { port, ...(props.healthService ? { service: props.healthService } : {}) },
      ...PROBE_TIMINGS[kind],
    });

    const containers: IContainer[] = [{
      name: 'server',
      image: props.image,
      ...(command ? { command } : {}),
      ...(args ? { args } : {}),
      ports: [{ name: PORT_NAME, containerPort: port, protocol: 'TCP' }],
      env: [
        ...downwardEnv(DOWNWARD_ENV),
        ...this.env,
      ],
      readinessProbe: probe('readiness'),
      livenessProbe: probe('liveness'),
      resources: this.resources,
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
        resources: espResources,
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [{ name: 'esp-tmp', mountPath: '/tmp' }],
      });
    }

    const deployment: IDeployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        ...(this.replicas !== undefined ? { replicas: this.replicas } : {}),
        revisionHistoryLimit: 3,
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        template: this.podTemplate({ containers, ...(volumes.length ? { volumes } : {}) }) as any,
      },
    };
    this.deployment = this.object('Deployment', deployment as any);

    const service: IService = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels },
      spec: {
        type: exposure.type,
        ...(exposure.headless ? { clusterIP: 'None' } : {}),
        ...(sourceRanges ? { loadBalancerSourceRanges: sourceRanges, externalTrafficPolicy: 'Local' } : {}),
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
    this.service = this.object('Service', service as any);
    // Outside traffic reaches the port the Service targets (the sidecar's, when there is one).
    const targeted = this.ports.filter((p) => p.name === (endpoints ? ESP_PORT_NAME : PORT_NAME));
    this.admitIngress({ external: exposure.external ? { ports: targeted, sourceRanges } : undefined });

    if (this.maxPods > 1) {
      const pdb: IPodDisruptionBudget = {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: this.selector } },
      };
      this.podDisruptionBudget = this.object('Pdb', pdb as any);
    }
    this.addAutoscaler(this.deployment);
  }
}

/** Validates an optional list of strings (command, args); returns a copy. */
function checkStrings(scope: Construct, prop: string, value: string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not a list of strings`);
  }
  return [...value];
}
