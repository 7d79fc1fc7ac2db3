import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { WorkloadClient } from './workload';
import { renderObject } from './workload';

/** A port a NetworkPolicy admits (a container port: policies apply behind the Service). */
export interface AdmittedPort {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

export interface ClientAccessOptions {
  /** Name of the NetworkPolicy. */
  readonly name: string;
  readonly labels: Record<string, string>;
  /** The pods the policy protects (the workload's selector). */
  readonly selector: Record<string, string>;
  /** The ports clients may reach. */
  readonly ports: readonly AdmittedPort[];
  /** The namespace of the protected pods (clients there need no namespace selector). */
  readonly namespace?: string;
  /** Whether the protected pods may reach each other on the ports (replica set members). */
  readonly peers: boolean;
  /** The clients, read at synth time (so clients named after construction are included). */
  readonly clients: () => readonly WorkloadClient[];
  /**
   * Traffic from outside the cluster (a LoadBalancer or NodePort Service): the ports it reaches
   * and, when set, the only source ranges admitted (otherwise any source).
   */
  readonly external?: { readonly ports: readonly AdmittedPort[]; readonly sourceRanges?: readonly string[] };
}

/**
 * A workload's front door: an Ingress NetworkPolicy that admits only the client pods named with
 * `allowFrom()` on the workload's ports (and, optionally, the workload's own pods, and traffic
 * from outside on the ports a LoadBalancer or NodePort Service exposes). With no client named,
 * nothing else gets in. The NetworkPolicy's id is `NetworkPolicy` under the owner.
 */
export class ClientAccess {
  public readonly networkPolicy: ApiObject;

  constructor(owner: Construct, options: ClientAccessOptions) {
    const ports = options.ports.map((p) => ({ protocol: p.protocol, port: p.port }));
    const selector = { matchLabels: { ...options.selector } };
    const external = options.external;
    this.networkPolicy = renderObject(owner, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: options.name, labels: options.labels },
      spec: {
        podSelector: selector,
        policyTypes: ['Ingress'],
        // Rendered at synth time, so clients named after construction are included.
        ingress: Lazy.any({
          produce: () => {
            const clients = options.clients().map((c) => ({
              podSelector: { matchLabels: { ...c.podSelector } },
              ...(c.namespace !== undefined && c.namespace !== options.namespace
                ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': c.namespace } } }
                : {}),
            }));
            return [
              ...(options.peers ? [{ from: [{ podSelector: selector }], ports }] : []),
              ...(clients.length ? [{ from: clients, ports }] : []),
              ...(external ? [{
                // No `from`: any source. With source ranges, only those (the Service keeps the
                // client's address with externalTrafficPolicy Local, so the ranges can match).
                ...(external.sourceRanges?.length ? { from: external.sourceRanges.map((cidr) => ({ ipBlock: { cidr } })) } : {}),
                ports: external.ports.map((p) => ({ protocol: p.protocol, port: p.port })),
              }] : []),
            ];
          },
        }),
      },
    });
  }
}
