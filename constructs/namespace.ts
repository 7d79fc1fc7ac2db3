import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { MANAGED_BY, LABEL_MANAGED_BY, LABEL_PART_OF } from './labels';
import { clusterScoped } from './scope';
import { PropError, checkLabelValue, checkLabels, checkNamespaceName, show } from './validate';
import { renderObject } from './workload';

/** Pod Security Standards levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export enum PodSecurityLevel {
  RESTRICTED = 'restricted',
  BASELINE = 'baseline',
  PRIVILEGED = 'privileged',
}

export interface SecureNamespaceProps {
  /**
   * Namespace name (not `default`, `kube-system`, `kube-public` nor `kube-node-lease`, which Kubernetes owns).
   * @default the construct id
   */
  readonly name?: string;
  /**
   * The Pod Security level enforced on the namespace (`pod-security.kubernetes.io/enforce`).
   * Anything below `RESTRICTED` must be justified where it is used. `audit` and `warn` are always
   * `restricted`, so a weaker namespace still reports what it lets through.
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * `app.kubernetes.io/part-of` label.
   * @default none
   */
  readonly partOf?: string;
  /** Extra labels. @default none */
  readonly labels?: Record<string, string>;
}

/**
 * A Namespace that enforces a Pod Security Standards level (restricted by default), pinned to the
 * Kubernetes 1.27 version of the standards so that an upgrade does not change what is admitted,
 * and that denies all ingress by default: a NetworkPolicy `default-deny-ingress` selects every pod
 * and admits nothing, so a pod is reachable only through a policy that admits its clients (every
 * mega8s workload with ports brings its own).
 *
 * Contract ids: `Resource` (the Namespace object), `DefaultDenyIngress`.
 */
export class SecureNamespace extends Construct {
  public readonly name: string;
  public readonly podSecurity: PodSecurityLevel;
  /** The Namespace object. */
  public readonly namespace: ApiObject;
  /** The NetworkPolicy `default-deny-ingress`: every pod of the namespace, no ingress rule. */
  public readonly defaultDenyIngress: ApiObject;

  constructor(scope: Construct, id: string, props: SecureNamespaceProps = {}) {
    super(scope, id);
    this.name = checkNamespaceName(this, 'name', props.name ?? id);
    const podSecurity = this.podSecurity = props.podSecurity ?? PodSecurityLevel.RESTRICTED;
    if (!Object.values(PodSecurityLevel).includes(podSecurity)) {
      throw new PropError(this, 'podSecurity', `podSecurity ${show(podSecurity)} is not one of ${Object.values(PodSecurityLevel).join(', ')}`);
    }
    if (props.partOf !== undefined) checkLabelValue(this, 'partOf', props.partOf);
    checkLabels(this, 'labels', props.labels);
    this.namespace = clusterScoped(renderObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: this.name,
        labels: {
          ...props.labels,
          'kubernetes.io/metadata.name': this.name,
          ...(props.partOf ? { [LABEL_PART_OF]: props.partOf } : {}),
          [LABEL_MANAGED_BY]: MANAGED_BY,
          'pod-security.kubernetes.io/enforce': this.podSecurity,
          'pod-security.kubernetes.io/enforce-version': 'v1.27',
          'pod-security.kubernetes.io/audit': PodSecurityLevel.RESTRICTED,
          'pod-security.kubernetes.io/audit-version': 'v1.27',
          'pod-security.kubernetes.io/warn': PodSecurityLevel.RESTRICTED,
          'pod-security.kubernetes.io/warn-version': 'v1.27',
        },
      },
    }));
    this.defaultDenyIngress = renderObject(this, 'DefaultDenyIngress', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: DEFAULT_DENY_INGRESS,
        namespace: this.name,
        labels: { ...props.labels, ...(props.partOf ? { [LABEL_PART_OF]: props.partOf } : {}), [LABEL_MANAGED_BY]: MANAGED_BY },
      },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
  }
}

/** Name of the NetworkPolicy that denies all ingress in every namespace mega8s creates. */
export const DEFAULT_DENY_INGRESS = 'default-deny-ingress';
