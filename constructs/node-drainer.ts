import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { downwardEnv } from './downward';
import { PodSecurityLevel, SecureNamespace } from './namespace';
import { storedQuantity } from './quantity';
import { DRAIN_SH } from './scripts/embedded';
import { Resources } from './resources';
import { clusterScoped } from './scope';
import { restrictedContainerSecurityContext } from './security';
import { Workload, WorkloadProps, renderObject } from './workload';
import {
  PropError, checkClusterRoleName, checkDns1123Subdomain, checkInteger, checkNamespaceName, checkQualifiedKey, show,
} from './validate';

/** The node labels GKE puts on preemptible and on spot VMs. */
export const GKE_PREEMPTIBLE_NODE_LABEL = 'cloud.google.com/gke-preemptible';
export const GKE_SPOT_NODE_LABEL = 'cloud.google.com/gke-spot';

/**
 * The ClusterRole's rules: exactly the requests the drain script sends (constructs/scripts/drain.sh),
 * nothing else. The drain does not use `kubectl drain`, so it needs none of the reads kubectl makes
 * (no `get` on nodes, pods, daemonsets, replicasets, statefulsets or jobs): a pod's DaemonSet and
 * mirror status come from the pod list itself.
 */
export const NODE_DRAINER_RULES: readonly { readonly apiGroups: readonly string[]; readonly resources: readonly string[]; readonly verbs: readonly string[] }[] = [
  // The eviction of each pod (POST pods/<name>/eviction), so that PodDisruptionBudgets hold.
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  // The pods bound to the node (GET /api/v1/pods?fieldSelector=spec.nodeName=...), once a second
  // until they are gone: what to evict, and whether the drain is done.
  { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
  // Cordon and taint in one strategic merge patch of the node (PATCH /api/v1/nodes/<name>).
  { apiGroups: [''], resources: ['nodes'], verbs: ['patch'] },
];

export const NODE_DRAINER_DEFAULTS = {
  name: 'node-drainer',
  namespace: 'node-drainer',
  clusterRoleName: 'node-drainer',
  serviceAccountName: 'drain-user',
  // alpine/k8s ships bash, curl and jq, what the drain script needs (bitnami/kubectl dropped curl
  // in 1.22), and kubectl for debugging; its tag is the kubectl version, 1.27.x for the 1.27 API.
  image: 'alpine/k8s:1.27.15',
  noticeSeconds: 30,
  nodeLabelKeys: [GKE_PREEMPTIBLE_NODE_LABEL, GKE_SPOT_NODE_LABEL] as readonly string[],
  metadataUrl: 'http://metadata.google.internal/computeMetadata/v1/instance/preempted',
  taintKey: 'mega8s.io/preempted',
  resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } } as Resources,
} as const;

/**
 * Seconds of the notice kept back from the drain: up to 3 for the cordon-and-taint patch (its
 * request timeout) and 2 for the notice to reach the drainer and for the drain's last API calls.
 */
export const NOTICE_RESERVE_SECONDS = 5;
/** Request timeout of the cordon-and-taint patch, inside NOTICE_RESERVE_SECONDS. */
export const TAINT_TIMEOUT_SECONDS = 3;
export const MIN_NOTICE_SECONDS = 15;
export const MAX_NOTICE_SECONDS = 3600;

/** How a drain spends the notice. */
export interface DrainBudget {
  /** The grace period of each eviction: what each evicted pod gets between SIGTERM and SIGKILL. */
  readonly graceSeconds: number;
  /** The longest the evictions may take, retried ones included, until the node has no pods left. */
  readonly timeoutSeconds: number;
}

/**
 * The drain budget for a notice of `noticeSeconds` (at least 15):
 * - timeout = notice - 5: the cordon-and-taint patch (at most 3 s) and the drain end before the
 *   VM stops;
 * - grace = floor(notice / 2): on GKE's 30 s that is 15 s, what the kubelet's graceful node
 *   shutdown gives regular pods too, and it leaves the drain 10 s to retry evictions that a
 *   PodDisruptionBudget held back (the script retries them every second).
 * The drain script evicts 10 pods at a time: a node at GKE's 110-pod maximum drains in about 7 s
 * against the test's stand-in API server (README, NodeDrainer).
 */
export function drainBudget(noticeSeconds: number): DrainBudget {
  return { graceSeconds: Math.floor(noticeSeconds / 2), timeoutSeconds: noticeSeconds - NOTICE_RESERVE_SECONDS };
}

/**
 * NodeDrainer's props. Of the workload props, `replicas` and `autoscaling` do not apply (one pod
 * per matching node), nor do `tolerations` and `nodeAffinity` (the drainer tolerates every taint
 * and runs on the nodes carrying one of `nodeLabelKeys`); `nodeSelector` narrows those nodes.
 */
export interface NodeDrainerProps extends WorkloadProps {
  /**
   * Name of the DaemonSet (and prefix of its ConfigMap and ResourceQuota), and the
   * `app.kubernetes.io/instance` label.
   * @default 'node-drainer'
   */
  readonly name?: string;
  /**
   * The drainer's own namespace, which NodeDrainer creates (not `default`, `kube-system`, `kube-public` nor `kube-node-lease`).
   * @default 'node-drainer'
   */
  readonly namespace?: string;
  /**
   * Name of the ClusterRole and the ClusterRoleBinding.
   * @default 'node-drainer'
   */
  readonly clusterRoleName?: string;
  /**
   * Name of the ServiceAccount the drainer runs as.
   * @default 'drain-user'
   */
  readonly serviceAccountName?: string;
  /**
   * Image that runs the drain script: it must have bash 5, curl 7.66+ (parallel transfers) and jq.
   * @default 'alpine/k8s:1.27.15'
   */
  readonly image?: string;
  /**
   * Seconds between the cloud's preemption notice and the VM's stop (GCE gives 30). The drain's
   * `--grace-period` and `--timeout` are derived from it (see `drainBudget`).
   * @default 30
   */
  readonly noticeSeconds?: number;
  /**
   * Node labels of the nodes the drainer runs on: a node carrying any one of them.
   * @default ['cloud.google.com/gke-preemptible', 'cloud.google.com/gke-spot']
   */
  readonly nodeLabelKeys?: string[];
  /**
   * URL of the preemption flag, answering `TRUE` or `FALSE` (no query: the drainer adds its own).
   * @default 'http://metadata.google.internal/computeMetadata/v1/instance/preempted'
   */
  readonly metadataUrl?: string;
  /**
   * Key of the `NoSchedule` taint put on a preempted node before it is drained.
   * @default 'mega8s.io/preempted'
   */
  readonly taintKey?: string;
  /**
   * Runs the drainer in the node's network namespace. Needed under GKE Workload Identity, where
   * pods reach the GKE metadata server rather than the VM's, which alone has the preemption flag.
   * The namespace then enforces Pod Security "privileged": "baseline", the next level down from
   * "restricted", forbids host namespaces too.
   * @default false
   */
  readonly hostNetwork?: boolean;
  /**
   * Drainer container resources; fields left out keep their defaults.
   * @default requests cpu 10m, memory 64Mi; limits memory 128Mi
   */
  readonly resources?: Resources;
  /**
   * `app.kubernetes.io/part-of` label, on the namespace too.
   * @default none
   */
  readonly partOf?: string;
}

/** The priority class of the drainer's pods; see the NodeDrainer docs for why and what it takes. */
export const NODE_DRAINER_PRIORITY_CLASS = 'system-node-critical';
/** Kubernetes' largest supported cluster: the quota admits one critical drainer pod per node. */
const CRITICAL_PODS_QUOTA = 5000;
const SCRIPT_DIR = '/opt/node-drainer';
const HOME_DIR = '/home/drainer';
/**
 * Drains preemptible and spot nodes gracefully, through the eviction API, when the cloud
 * announces their preemption.
 *
 * A DaemonSet on the preemptible/spot nodes long-polls the GCE metadata server's
 * `instance/preempted` flag. When it turns TRUE, the drainer cordons its own node, taints it
 * `mega8s.io/preempted=true:NoSchedule` (the key is `taintKey`) and evicts its pods through the
 * eviction API, 10 at a time, with a grace period and timeout that fit the notice (see
 * `drainBudget`): every pod but DaemonSet pods, mirror pods and finished ones, as `kubectl drain
 * --ignore-daemonsets --delete-emptydir-data --force` would, without its client-side throttling.
 * Evictions respect PodDisruptionBudgets (a refused one is retried every second). A metadata server that cannot be reached
 * or answers oddly is retried with backoff and never causes a drain; a successful drain is not
 * repeated; a failed one exits non-zero so that the container restarts and drains again.
 *
 * Least privilege: the ServiceAccount (`drain-user`) is bound to a ClusterRole that allows only
 * the three requests the drain sends (`NODE_DRAINER_RULES`: patch nodes, list pods, create
 * pods/eviction): no wildcard, no reads beyond the pod list, no secrets, and no token outside the
 * drainer's own pod.
 *
 * Pods run at `system-node-critical`, so that the kubelet's graceful node shutdown stops them
 * last (after the pods they drain) and the scheduler makes room for them. GKE admits that class
 * outside kube-system only in a namespace with a ResourceQuota for it, so NodeDrainer adds one.
 *
 * Contract ids (renaming one renames a resource): `Namespace`, `ServiceAccount`, `ClusterRole`,
 * `ClusterRoleBinding`, `CriticalPodsQuota`, `Script`, `DaemonSet`.
 */
export class NodeDrainer extends Workload {
  /** The drainer's namespace. */
  public readonly namespace: string;
  /** The drainer's namespace object. */
  public readonly secureNamespace: SecureNamespace;
  public readonly noticeSeconds: number;
  /** Grace period of the evictions: a pod on these nodes should not need a longer termination grace. */
  public readonly drainGraceSeconds: number;
  /** The longest the evictions may take (see `drainBudget`). */
  public readonly drainTimeoutSeconds: number;
  public readonly serviceAccount: ApiObject;
  public readonly clusterRole: ApiObject;
  public readonly clusterRoleBinding: ApiObject;
  public readonly criticalPodsQuota: ApiObject;
  public readonly configMap: ApiObject;
  public readonly daemonSet: ApiObject;

  constructor(scope: Construct, id: string, props: NodeDrainerProps = {}) {
    const D = NODE_DRAINER_DEFAULTS;
    const image = props.image ?? D.image;
    super(scope, id, props, {
      appName: 'node-drainer',
      component: 'drainer',
      image,
      defaultName: D.name,
      defaults: { resources: D.resources, terminationGraceSeconds: 0 },
      reservedEnv: ['NODE_NAME', 'HOME', 'METADATA_URL', 'TAINT_KEY', 'TAINT_TIMEOUT_SECONDS', 'DRAIN_GRACE_SECONDS', 'DRAIN_TIMEOUT_SECONDS'],
    });
    const name = this.name;
    for (const prop of ['tolerations', 'nodeAffinity', 'terminationGraceSeconds'] as const) {
      if (props[prop] !== undefined) {
        throw new PropError(this, prop, `${prop} ${show(props[prop])} is set by NodeDrainer itself: it tolerates every taint, runs on the nodes with one of nodeLabelKeys and gets the whole notice to stop; expected it left out (narrow the nodes with nodeSelector)`);
      }
    }
    const namespace = this.namespace = checkNamespaceName(this, 'namespace', props.namespace ?? D.namespace);
    const roleName = checkClusterRoleName(this, 'clusterRoleName', props.clusterRoleName ?? D.clusterRoleName);
    const saName = checkDns1123Subdomain(this, 'serviceAccountName', props.serviceAccountName ?? NODE_DRAINER_DEFAULTS.serviceAccountName);
    const notice = this.noticeSeconds = checkInteger(this, 'noticeSeconds', props.noticeSeconds ?? NODE_DRAINER_DEFAULTS.noticeSeconds, MIN_NOTICE_SECONDS, MAX_NOTICE_SECONDS);
    const budget = drainBudget(notice);
    this.drainGraceSeconds = budget.graceSeconds;
    this.drainTimeoutSeconds = budget.timeoutSeconds;
    const nodeLabelKeys = props.nodeLabelKeys ?? NODE_DRAINER_DEFAULTS.nodeLabelKeys;
    if (!Array.isArray(nodeLabelKeys) || nodeLabelKeys.length === 0) {
      throw new PropError(this, 'nodeLabelKeys', `nodeLabelKeys ${show(nodeLabelKeys)} is empty: expected at least one node label key`);
    }
    nodeLabelKeys.forEach((key, i) => {
      checkQualifiedKey(this, 'nodeLabelKeys', key);
      if (nodeLabelKeys.indexOf(key) !== i) throw new PropError(this, 'nodeLabelKeys', `nodeLabelKeys lists ${show(key)} twice`);
    });
    const metadataUrl = props.metadataUrl ?? NODE_DRAINER_DEFAULTS.metadataUrl;
    if (typeof metadataUrl !== 'string' || !/^https?:\/\/[^\s?#]+$/.test(metadataUrl)) {
      throw new PropError(this, 'metadataUrl', `metadataUrl ${show(metadataUrl)} is not an http(s) URL without query or fragment`);
    }
    const taintKey = checkQualifiedKey(this, 'taintKey', props.taintKey ?? NODE_DRAINER_DEFAULTS.taintKey);
    const hostNetwork = props.hostNetwork ?? false;

    const labels = this.labels;

    // With hostNetwork the pod shares the node's network namespace: "baseline" forbids that as
    // much as "restricted" does, so "privileged" is the lowest level that admits the drainer.
    // Its containers stay as restricted as ever; `audit` and `warn` keep reporting the host network.
    this.secureNamespace = new SecureNamespace(this, 'Namespace', {
      name: namespace,
      podSecurity: hostNetwork ? PodSecurityLevel.PRIVILEGED : PodSecurityLevel.RESTRICTED,
      partOf: props.partOf,
    });
    const meta = (objectName: string) => ({ name: objectName, namespace, labels });

    // The token is mounted into the drainer's pod alone (the pod asks for it), never elsewhere.
    this.serviceAccount = renderObject(this, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(saName),
      automountServiceAccountToken: false,
    });
    this.clusterRole = clusterScoped(renderObject(this, 'ClusterRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: roleName, labels },
      rules: NODE_DRAINER_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })),
    }));
    this.clusterRoleBinding = clusterScoped(renderObject(this, 'ClusterRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: roleName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: saName, namespace }],
    }));
    // GKE limits system-node-critical and system-cluster-critical pods to namespaces holding a
    // ResourceQuota scoped to those classes (kube-system has one); this is the drainer's.
    this.criticalPodsQuota = renderObject(this, 'CriticalPodsQuota', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta(`${name}-critical-pods`),
      spec: {
        // `5k`, as the API server stores 5000: `5000` would differ from the live object on every apply.
        hard: { pods: storedQuantity(String(CRITICAL_PODS_QUOTA), true) },
        scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: [NODE_DRAINER_PRIORITY_CLASS] }] },
      },
    });
    const scriptName = `${name}-script`;
    this.configMap = renderObject(this, 'Script', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(scriptName),
      data: { 'drain.sh': DRAIN_SH },
    });

    const container = {
      name: 'drainer',
      image,
      command: ['bash', `${SCRIPT_DIR}/drain.sh`],
      env: [
        ...downwardEnv(['NODE_NAME']),
        // $HOME is an emptyDir (the root filesystem is read-only): the script keeps its "drained"
        // marker there, which outlives container restarts, and the API server's answers.
        { name: 'HOME', value: HOME_DIR },
        { name: 'METADATA_URL', value: metadataUrl },
        { name: 'TAINT_KEY', value: taintKey },
        { name: 'TAINT_TIMEOUT_SECONDS', value: String(TAINT_TIMEOUT_SECONDS) },
        { name: 'DRAIN_GRACE_SECONDS', value: String(budget.graceSeconds) },
        { name: 'DRAIN_TIMEOUT_SECONDS', value: String(budget.timeoutSeconds) },
        ...this.env,
      ],
      resources: this.resources,
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [
        { name: 'script', mountPath: SCRIPT_DIR, readOnly: true },
        { name: 'home', mountPath: HOME_DIR },
      ],
    };

    this.daemonSet = renderObject(this, 'DaemonSet', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(name),
      spec: {
        revisionHistoryLimit: 3,
        selector: { matchLabels: this.selector },
        template: {
          metadata: {
            labels,
            // A new script rolls the pods (a ConfigMap change alone would not).
            annotations: { 'mega8s.io/script-sha256': createHash('sha256').update(DRAIN_SH).digest('hex') },
          },
          spec: {
            serviceAccountName: saName,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            priorityClassName: NODE_DRAINER_PRIORITY_CLASS,
            // The drainer finishes a drain it has started even when told to stop (the script
            // ignores SIGTERM while draining), so it may use the whole notice.
            terminationGracePeriodSeconds: notice,
            ...(hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
            affinity: {
              nodeAffinity: {
                // Terms are ORed: a node with any one of the labels.
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: nodeLabelKeys.map((key) => ({ matchExpressions: [{ key, operator: 'Exists' }] })),
                },
              },
            },
            // Every taint, NoExecute included: the drainer must stay on a node that is being
            // tainted, cordoned and shut down.
            tolerations: [{ operator: 'Exists' }],
            securityContext: this.podSecurityContext,
            ...(this.scheduling.nodeSelector ? { nodeSelector: this.scheduling.nodeSelector } : {}),
            containers: [container],
            volumes: [
              { name: 'script', configMap: { name: scriptName } },
              { name: 'home', emptyDir: { sizeLimit: '64Mi' } },
            ],
          },
        },
      },
    });
  }
}
