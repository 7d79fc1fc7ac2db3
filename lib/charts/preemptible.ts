import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  GKE_PREEMPTIBLE_NODE_LABEL, GKE_SPOT_NODE_LABEL, MongoReplicaSet, NodeDrainer, NodeSelectorOperator, SecureNamespace, TaintEffect, TolerationOperator,
} from '../../constructs';
import { Environment, defineSettings, oneOf, setting } from '../env';
import { ChartDefinition } from './chart';

/** The stateful service's namespace (the drainer has its own, `node-drainer`). */
export const PREEMPTIBLE_NAMESPACE = 'preemptible';
const PART_OF = 'preemptible';

/** Which kind of discount node the chart's workloads run on. */
export type NodeKind = 'preemptible' | 'spot';

/** The env-file keys of this chart. */
export const PREEMPTIBLE_SETTINGS = defineSettings('preemptible', {
  nodeKind: setting('PREEMPTIBLE_NODE_KIND', oneOf(['preemptible', 'spot']), { default: 'spot', doc: 'Whether the preemptible chart targets GKE preemptible or spot nodes.' }),
});

/** The label GKE puts on each kind of discount node. */
export const NODE_KIND_LABELS: Readonly<Record<NodeKind, string>> = {
  preemptible: GKE_PREEMPTIBLE_NODE_LABEL,
  spot: GKE_SPOT_NODE_LABEL,
};

/**
 * The article's goal — stateful services on preemptible nodes, drained gracefully when the node
 * is preempted — without its baked-in token:
 *
 * - `NodeDrainer` in its own namespace `node-drainer`: a DaemonSet on every preemptible and spot
 *   node that drains its node through the eviction API when GCE announces the preemption, as
 *   ServiceAccount `drain-user` with only the rights a drain needs;
 * - a MongoDB replica set `mongo` (3 members, Secret `mongo-auth`) in the restricted namespace
 *   `preemptible`, scheduled only on the environment's kind of discount node
 *   (`PREEMPTIBLE_NODE_KIND`: spot or preemptible), tolerating that kind's taint, with a
 *   PodDisruptionBudget of one member, so a drain never takes two members at once; members are
 *   on distinct nodes, so one preemption costs at most one member.
 *
 * A drained member gets the drain's grace period (15 s of GCE's 30 s notice), whatever its own
 * spec says; its spec and mongod's SIGTERM quiesce period are set to fit it.
 */
export class PreemptibleChart extends Chart {
  public readonly drainer: NodeDrainer;
  public readonly mongo: MongoReplicaSet;
  /** The label of the nodes the replica set runs on. */
  public readonly nodeLabel: string;

  constructor(scope: Construct, env: Environment) {
    super(scope, 'preemptible', { namespace: PREEMPTIBLE_NAMESPACE, disableResourceNameHashes: true });
    new SecureNamespace(this, 'Namespace', { name: PREEMPTIBLE_NAMESPACE, partOf: PART_OF });

    // The drainer watches both kinds of discount node: a cluster may have pools of each, and a
    // drainer on a node without stateful pods costs 10m of CPU.
    this.drainer = new NodeDrainer(this, 'drainer', { partOf: PART_OF });

    const nodeLabel = this.nodeLabel = NODE_KIND_LABELS[PREEMPTIBLE_SETTINGS.of(env).nodeKind];
    this.mongo = new MongoReplicaSet(this, 'mongo', {
      replicas: 3,
      replicaSetName: 'rs0',
      storageSize: '10Gi',
      partOf: PART_OF,
      nodeAffinity: { required: [[{ key: nodeLabel, operator: NodeSelectorOperator.IN, values: ['true'] }]] },
      // GKE discount node pools are commonly tainted `<label>=true:NoSchedule` to keep other
      // workloads off them. Not the drainer's taint: a preempted node must take no new member.
      tolerations: [{ key: nodeLabel, operator: TolerationOperator.EQUAL, value: 'true', effect: TaintEffect.NO_SCHEDULE }],
      // A drained member gets the drain's grace period whatever its spec says; the spec says the
      // same, and MongoReplicaSet sizes mongod's step-down wait to fit inside it.
      terminationGraceSeconds: this.drainer.drainGraceSeconds,
    });
  }
}

export const preemptibleChart: ChartDefinition = {
  name: 'preemptible',
  build: (scope, env) => new PreemptibleChart(scope, env),
  settings: PREEMPTIBLE_SETTINGS,
};
