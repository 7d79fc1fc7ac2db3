import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { FleetOf, GrpcService, ServiceType, SecureNamespace } from '../../constructs';
import { Environment, defineSettings, dnsSubdomain, int, oneOf, optionalSetting, setting } from '../env';
import { ChartDefinition } from './chart';
import { LOADTEST_NAMESPACE, loadTestWorkerLabels } from './loadtest-workers';
import { cidrList } from './source-ranges';

export const FOURHUNDRED_NAMESPACE = 'fourhundred';
/** Labels the article's load loop selects services by (`--selector=grpc==true,service==whoami`). */
export const WHOAMI_LABELS = { grpc: 'true', service: 'whoami' } as const;

/**
 * Labels of the pods that may call the whoami services from inside the cluster (namespace
 * `fourhundred`), e.g. a load generator started there with `kubectl run --labels`.
 */
export const WHOAMI_CLIENT_LABELS = { 'mega8s.io/client-of': 'whoami' } as const;

/** The env-file keys of this chart. */
export const FOURHUNDRED_SETTINGS = defineSettings('fourhundred', {
  fleetSize: setting('FOURHUNDRED_FLEET_SIZE', int(0, 10_000), { doc: 'How many whoami gRPC services the fourhundred chart runs.' }),
  serviceType: setting('FOURHUNDRED_SERVICE_TYPE', oneOf(['ClusterIP', 'LoadBalancer', 'NodePort', 'Headless']), { default: 'ClusterIP', doc: 'How each whoami service is exposed.' }),
  loadBalancerSourceRanges: optionalSetting('FOURHUNDRED_LOAD_BALANCER_SOURCE_RANGES', cidrList(), { doc: 'The only client ranges the chart\'s LoadBalancer Services admit (their `loadBalancerSourceRanges` and NetworkPolicies); applies to the whoami services when `FOURHUNDRED_SERVICE_TYPE` is `LoadBalancer`, and to `grpc-server`. Default: any source.' }),
  endpointsService: optionalSetting('FOURHUNDRED_ENDPOINTS_SERVICE', dnsSubdomain(), { doc: 'Cloud Endpoints service name; when set, the chart adds the Endpoints-fronted `grpc-server` (the article\'s 401st load balancer).' }),
});

/**
 * The article's cluster: a fleet of whoami gRPC services (`service-000` …), one Deployment and one
 * Service each, plus the Endpoints-fronted `grpc-server` when the environment names an Endpoints
 * service. The article's `kubectl run`/`kubectl expose` loop created them one by one with
 * `grpc-server:latest`; here the image tag is pinned by the environment.
 */
export class FourHundredChart extends Chart {
  public readonly fleet: FleetOf<GrpcService>;
  public readonly endpointsServer?: GrpcService;

  constructor(scope: Construct, env: Environment) {
    super(scope, 'fourhundred', { namespace: FOURHUNDRED_NAMESPACE, disableResourceNameHashes: true });
    new SecureNamespace(this, 'Namespace', { name: FOURHUNDRED_NAMESPACE, partOf: 'fourhundred' });
    const image = `${env.images.registry}/grpc-server:${env.images.tag}`;
    const settings = FOURHUNDRED_SETTINGS.of(env);
    const serviceType = settings.serviceType as ServiceType;
    const sourceRanges = settings.loadBalancerSourceRanges;

    // GrpcService's `labels` put grpc=true, service=whoami on every object and pod of a member,
    // so the fleet needs no labels of its own.
    this.fleet = new FleetOf(this, 'service', {
      size: settings.fleetSize,
      member: (s, id) => new GrpcService(s, id, {
        image,
        appName: 'whoami',
        partOf: 'fourhundred',
        port: 10000,
        serviceType,
        ...(serviceType === ServiceType.LOAD_BALANCER && sourceRanges ? { loadBalancerSourceRanges: sourceRanges } : {}),
        labels: WHOAMI_LABELS,
      }),
    });
    // The loadtest chart's whoami workers (namespace loadtest) and the fleet's own clients.
    for (const member of this.fleet.members) {
      member.allowFrom(loadTestWorkerLabels('whoami'), LOADTEST_NAMESPACE);
      member.allowFrom(WHOAMI_CLIENT_LABELS);
    }

    if (settings.endpointsService) {
      this.endpointsServer = new GrpcService(this, 'grpc-server', {
        image,
        appName: 'grpc-server',
        partOf: 'fourhundred',
        port: 10000,
        serviceType: ServiceType.LOAD_BALANCER,
        ...(sourceRanges ? { loadBalancerSourceRanges: sourceRanges } : {}),
        endpoints: { service: settings.endpointsService },
      });
    }
  }
}

export const fourhundredChart: ChartDefinition = {
  name: 'fourhundred',
  build: (scope, env) => new FourHundredChart(scope, env),
  settings: FOURHUNDRED_SETTINGS,
};
