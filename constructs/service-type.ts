import { IConstruct } from 'constructs';
import { PropError, show } from './validate';

/** How a construct's Service is exposed. */
export enum ServiceType {
  /** A cluster-internal virtual IP. */
  CLUSTER_IP = 'ClusterIP',
  /** A cloud network load balancer (on GCE: one forwarding rule, target pool and firewall rule each). */
  LOAD_BALANCER = 'LoadBalancer',
  /** A port on every node. */
  NODE_PORT = 'NodePort',
  /** No virtual IP: DNS answers with the pod IPs (client-side load balancing, e.g. gRPC). */
  HEADLESS = 'Headless',
}

/** Validates `value` and returns the Service's `spec.type` and whether it is headless (`clusterIP: None`). */
export function serviceTypeSpec(scope: IConstruct, prop: string, value: ServiceType): { type: 'ClusterIP' | 'LoadBalancer' | 'NodePort'; headless: boolean } {
  if (!Object.values(ServiceType).includes(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not one of ${Object.values(ServiceType).join(', ')}`);
  }
  return value === ServiceType.HEADLESS ? { type: 'ClusterIP', headless: true } : { type: value as 'ClusterIP' | 'LoadBalancer' | 'NodePort', headless: false };
}
