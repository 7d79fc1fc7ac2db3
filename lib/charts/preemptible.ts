import { Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { GKE_PREEMPTIBLE_NODE_LABEL, GKE_SPOT_NODE_LABEL, MongoReplicaSet, NodeDrainer, SecureNamespace } from '../../constructs';
import { Environment, NodeKind } from '../env';
import { ChartDefinition } from './chart';

/** The stateful service's namespace (the drainer has its own, `node-drainer`). */
export const PREEMPTIBLE_NAMESPACE = 'preemptible';
const PART_OF = 'preemptible';

/** The label GKE puts on each kind of discount node. */
export const NODE_KIND_LABELS: Readonly<Record<NodeKind, string>> = {
  preemptible: GKE_PREEMPTIBLE_NODE_LABEL,
  spot: GKE_SPOT_NODE_LABEL,
};

/**
 * Seconds of a drained member's grace kept for mongod to flush and exit after its SIGTERM quiesce
 * period (a primary steps down first).
 */
export const MONGO_EXIT_SECONDS = 5;

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

    const nodeLabel = this.nodeLabel = NODE_KIND_LABELS[env.preemptible.nodeKind];
    this.mongo = new MongoReplicaSet(this, 'mongo', {
      members: 3,
      replicaSetName: 'rs0',
      storageSize: '10Gi',
      partOf: PART_OF,
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: nodeLabel, operator: 'In', values: ['true'] }] }],
        },
      },
      // GKE discount node pools are commonly tainted `<label>=true:NoSchedule` to keep other
      // workloads off them. Not the drainer's taint: a preempted node must take no new member.
      tolerations: [{ key: nodeLabel, operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
    });
    fitIntoDrainBudget(this.mongo, this.drainer.drainGraceSeconds);
  }
}

/**
 * Sets the members' termination grace to the drain's grace period, and mongod's SIGTERM quiesce
 * period (`shutdownTimeoutMillisForSignaledShutdown`, 15 s by default) to MONGO_EXIT_SECONDS less.
 *
 * Through the StatefulSet escape hatch, because MongoReplicaSet rejects a termination grace below
 * 30 s and has no prop for the quiesce period. When it has both, pass them as props instead.
 */
function fitIntoDrainBudget(mongo: MongoReplicaSet, graceSeconds: number): void {
  const quiesceMillis = (graceSeconds - MONGO_EXIT_SECONDS) * 1000;
  mongo.statefulSet.addJsonPatch(
    JsonPatch.replace('/spec/template/spec/terminationGracePeriodSeconds', graceSeconds),
    JsonPatch.add('/spec/template/spec/containers/0/args/-', '--setParameter'),
    JsonPatch.add('/spec/template/spec/containers/0/args/-', `shutdownTimeoutMillisForSignaledShutdown=${quiesceMillis}`),
  );
}

export const preemptibleChart: ChartDefinition = {
  name: 'preemptible',
  build: (scope, env) => new PreemptibleChart(scope, env),
};
