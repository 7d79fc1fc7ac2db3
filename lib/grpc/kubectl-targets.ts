/**
 * Load-generator targets from the cluster, as the fleet article does it: list the whoami Services with
 * `kubectl get services --selector … --output json` and take each one's load balancer address, skipping
 * the Services that have none yet.
 *
 * Beyond the article (which only reads `.status.loadBalancer.ingress[0].ip`): a Service whose load
 * balancer has only a host name (AWS ELBs, some on-premises balancers) is called by that name, and the
 * port is the Service's own `grpc` port unless `--port` says otherwise.
 */
import { execFile } from 'child_process';
import type { IService } from 'kubernetes-models/v1/Service';
import { joinHostPort } from './options';

/** The article's selector: `kubectl label service/… grpc=true service=whoami`. */
export const DEFAULT_SELECTOR = 'grpc=true,service=whoami';
/** The port the fleet's Services expose when they do not say otherwise. */
export const DEFAULT_PORT = 10000;

export interface KubectlTargetOptions {
  /** @default kubectl's current namespace */
  readonly namespace?: string;
  /** @default DEFAULT_SELECTOR */
  readonly selector?: string;
  /** Port to call on every load balancer. @default each Service's port named `grpc`, else its first port */
  readonly port?: number;
  /** The kubectl executable (looked up on PATH). @default 'kubectl' */
  readonly kubectl?: string;
}

export interface ServiceTarget {
  /** `namespace/name` of the Service. */
  readonly service: string;
  /** `address:port` to call. */
  readonly target: string;
  /** Whether the address is the load balancer's IP or (when it has no IP) its host name. */
  readonly addressKind: 'ip' | 'hostname';
}

export interface SkippedService {
  readonly service: string;
  readonly reason: string;
}

export interface DiscoveredTargets {
  readonly targets: readonly ServiceTarget[];
  readonly skipped: readonly SkippedService[];
}

/** The kubectl arguments for listing the Services. */
export function kubectlArgs(options: KubectlTargetOptions): string[] {
  return [
    'get', 'services',
    ...(options.namespace ? ['--namespace', options.namespace] : []),
    '--selector', options.selector ?? DEFAULT_SELECTOR,
    '--output', 'json',
  ];
}

function servicePort(service: IService, explicit: number | undefined): number {
  if (explicit !== undefined) return explicit;
  const ports = service.spec?.ports ?? [];
  return (ports.find((p) => p.name === 'grpc') ?? ports[0])?.port ?? DEFAULT_PORT;
}

/** Targets from a `kubectl get services -o json` document (a `List` or `ServiceList`). */
export function targetsFromServiceList(document: unknown, port?: number): DiscoveredTargets {
  const items = (document as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) throw new Error('kubectl did not print a list of services (no "items" array)');
  const targets: ServiceTarget[] = [];
  const skipped: SkippedService[] = [];
  const seen = new Set<string>();
  for (const item of items as IService[]) {
    const service = `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? '?'}`;
    if (item.kind !== undefined && item.kind !== 'Service') {
      skipped.push({ service, reason: `kind ${String(item.kind)} is not a Service` });
      continue;
    }
    const ingress = item.status?.loadBalancer?.ingress ?? [];
    const ip = ingress.find((i) => i.ip)?.ip;
    const hostname = ingress.find((i) => i.hostname)?.hostname;
    const address = ip ?? hostname;
    if (!address) {
      skipped.push({
        service,
        reason: item.spec?.type === 'LoadBalancer' ? 'no load balancer address yet' : `type ${item.spec?.type ?? 'ClusterIP'} has no load balancer`,
      });
      continue;
    }
    const target = joinHostPort(address, servicePort(item, port));
    if (seen.has(target)) {
      skipped.push({ service, reason: `same address as another service (${target})` });
      continue;
    }
    seen.add(target);
    targets.push({ service, target, addressKind: ip ? 'ip' : 'hostname' });
  }
  return { targets, skipped };
}

/** Runs kubectl and returns the targets it lists. */
export function discoverTargets(options: KubectlTargetOptions): Promise<DiscoveredTargets> {
  const kubectl = options.kubectl ?? 'kubectl';
  const args = kubectlArgs(options);
  return new Promise((resolve, reject) => {
    execFile(kubectl, args, { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        reject(new Error(code === 'ENOENT'
          ? `${kubectl} was not found on PATH`
          : `${kubectl} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
        return;
      }
      try {
        resolve(targetsFromServiceList(JSON.parse(stdout), options.port));
      } catch (e) {
        reject(new Error(`${kubectl} ${args.join(' ')}: ${(e as Error).message}`));
      }
    });
  });
}
