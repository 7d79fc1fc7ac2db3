import { IConstruct } from 'constructs';
import { isIP } from 'net';
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

/**
 * Validates `value` and returns the Service's `spec.type`, whether it is headless (`clusterIP:
 * None`) and whether it takes traffic from outside the cluster (LoadBalancer, NodePort).
 */
export function serviceTypeSpec(scope: IConstruct, prop: string, value: ServiceType): { type: 'ClusterIP' | 'LoadBalancer' | 'NodePort'; headless: boolean; external: boolean } {
  if (!Object.values(ServiceType).includes(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not one of ${Object.values(ServiceType).join(', ')}`);
  }
  return value === ServiceType.HEADLESS
    ? { type: 'ClusterIP', headless: true, external: false }
    : { type: value as 'ClusterIP' | 'LoadBalancer' | 'NodePort', headless: false, external: value !== ServiceType.CLUSTER_IP };
}

/**
 * Validates `loadBalancerSourceRanges`: CIDRs (IPv4 or IPv6) written as their network address
 * (`10.0.0.0/8`, not `10.1.2.3/8`), each once, and only on a LoadBalancer Service. Returns a copy.
 */
export function checkSourceRanges(scope: IConstruct, prop: string, ranges: readonly string[] | undefined, type: ServiceType): string[] | undefined {
  if (ranges === undefined) return undefined;
  if (!Array.isArray(ranges) || ranges.length === 0) {
    throw new PropError(scope, prop, `${prop} ${show(ranges)} is not a non-empty list: expected CIDRs such as '203.0.113.0/24' (leave it out to admit any source)`);
  }
  if (type !== ServiceType.LOAD_BALANCER) {
    throw new PropError(scope, prop, `${prop} ${show(ranges)} needs a LoadBalancer Service: serviceType is ${show(type)}; expected serviceType LoadBalancer, or no ${prop}`);
  }
  ranges.forEach((r, i) => {
    const why = cidrProblem(r);
    if (why) throw new PropError(scope, prop, `${prop} entry ${show(r)} is not a CIDR: ${why}`);
    if (ranges.indexOf(r) !== i) throw new PropError(scope, prop, `${prop} lists ${show(r)} twice: expected each range once`);
  });
  return [...ranges];
}

/** Why `cidr` is not an IPv4 or IPv6 CIDR in network-address form, or undefined when it is. */
export function cidrProblem(cidr: unknown): string | undefined {
  if (typeof cidr !== 'string') return 'expected a string such as 203.0.113.0/24';
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return 'expected <address>/<prefix length>, such as 203.0.113.0/24';
  const prefix = Number(m[2]);
  const bytes = isIP(m[1]) === 4 ? ipv4Bytes(m[1]) : isIP(m[1]) === 6 ? ipv6Bytes(m[1]) : undefined;
  if (!bytes || (isIP(m[1]) === 4 && !/^(\d{1,3})(\.\d{1,3}){3}$/.test(m[1]))) return 'expected an IPv4 or IPv6 address before the /';
  if (prefix > bytes.length * 8 || String(prefix) !== m[2]) return `expected a prefix length of 0-${bytes.length * 8}`;
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3] & (0x80 >> (bit & 7))) return 'host bits are set: expected the network address of the range';
  }
  return undefined;
}

function ipv4Bytes(a: string): number[] {
  return a.split('.').map(Number);
}

function ipv6Bytes(a: string): number[] | undefined {
  let text = a;
  // A trailing dotted IPv4 part (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4Bytes(v4[1]);
    text = text.slice(0, -v4[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => { const n = parseInt(g, 16); return [n >> 8, n & 0xff]; });
}
