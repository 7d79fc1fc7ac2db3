import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { FleetOf, GrpcService, ServiceType, SecureNamespace } from '../../constructs';
import { Environment } from '../env';
import { ChartDefinition } from './chart';

export const FOURHUNDRED_NAMESPACE = 'fourhundred';
/** Labels the article's load loop selects services by (`--selector=grpc==true,service==whoami`). */
export const WHOAMI_LABELS = { grpc: 'true', service: 'whoami' } as const;

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
    const serviceType = env.fourhundred.serviceType as ServiceType;

    // GrpcService's `labels` put grpc=true, service=whoami on every object and pod of a member,
    // so the fleet needs no labels of its own.
    this.fleet = new FleetOf(this, 'service', {
      size: env.fourhundred.fleetSize,
      member: (s, id) => new GrpcService(s, id, {
        image,
        appName: 'whoami',
        partOf: 'fourhundred',
        port: 10000,
        serviceType,
        labels: WHOAMI_LABELS,
      }),
    });

    if (env.fourhundred.endpointsService) {
      this.endpointsServer = new GrpcService(this, 'grpc-server', {
        image,
        appName: 'grpc-server',
        partOf: 'fourhundred',
        port: 10000,
        serviceType: ServiceType.LOAD_BALANCER,
        endpoints: { service: env.fourhundred.endpointsService },
      });
    }
  }
}

export const fourhundredChart: ChartDefinition = {
  name: 'fourhundred',
  build: (scope, env) => new FourHundredChart(scope, env),
};
