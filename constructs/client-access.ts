import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { PropError, checkDns1123Label, checkLabels, show } from './validate';
import { renderObject } from './workload';

export interface ClientAccessOptions {
  /** Name of the NetworkPolicy. */
  readonly name: string;
  readonly labels: Record<string, string>;
  /** The pods the policy protects (the database's selector). */
  readonly selector: Record<string, string>;
  /** The one TCP port clients may reach. */
  readonly port: number;
  /** The namespace of the protected pods (clients there need no namespace selector). */
  readonly namespace?: string;
  /** Whether the protected pods may reach each other on the port (replica set members). */
  readonly peers: boolean;
}

/**
 * A database's front door: an Ingress NetworkPolicy that admits only the client pods named with
 * `allow()` on one TCP port (and, optionally, the database's own pods). With no client named,
 * nothing else gets in. Used by MongoReplicaSet and Postgres; the NetworkPolicy's id is
 * `NetworkPolicy` under the owner.
 */
export class ClientAccess {
  public readonly networkPolicy: ApiObject;
  private readonly clients: Record<string, unknown>[] = [];

  constructor(private readonly owner: Construct, private readonly options: ClientAccessOptions) {
    const port = { protocol: 'TCP', port: options.port };
    const selector = { matchLabels: { ...options.selector } };
    this.networkPolicy = renderObject(owner, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: options.name, labels: options.labels },
      spec: {
        podSelector: selector,
        policyTypes: ['Ingress'],
        // Rendered at synth time, so clients named after construction are included.
        ingress: Lazy.any({
          produce: () => [
            ...(options.peers ? [{ from: [{ podSelector: selector }], ports: [port] }] : []),
            ...(this.clients.length ? [{ from: [...this.clients], ports: [port] }] : []),
          ],
        }),
      },
    });
  }

  /**
   * Admits the pods matching `podSelector` (in `namespace`, or the database's own namespace).
   * An empty selector is refused: it would admit every pod. Errors name the owner's path and `prop`.
   */
  public allow(podSelector: Record<string, string>, namespace?: string, prop = 'allowFrom'): void {
    if (!podSelector || typeof podSelector !== 'object' || Array.isArray(podSelector) || Object.keys(podSelector).length === 0) {
      throw new PropError(this.owner, prop, `${prop} ${show(podSelector)} is an empty pod selector: it would admit every pod; expected the labels of the client pods`);
    }
    checkLabels(this.owner, prop, podSelector);
    if (namespace !== undefined) checkDns1123Label(this.owner, `${prop}.namespace`, namespace);
    this.clients.push({
      podSelector: { matchLabels: { ...podSelector } },
      ...(namespace !== undefined && namespace !== this.options.namespace
        ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } }
        : {}),
    });
  }
}
