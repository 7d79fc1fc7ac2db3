/*
 * The public surface of mega8s: constructs, their props, enums and the error they throw.
 * Everything else in this folder (validation, labels, rendering, scripts) is internal: import
 * it by file inside the project, never through the package.
 */
export { PropError } from './validate';

// The workload base and its shared types.
export {
  Workload, WorkloadProps, WorkloadPort, WorkloadClient, EnvVar, EnvVarSource, Toleration, TolerationOperator, TaintEffect,
  NodeAffinity, NodeRequirement, NodeSelectorOperator, PreferredNode, Autoscaling, AutoscalingBehavior,
  ApiRule, ApiVerb, API_VERBS,
} from './workload';
export { Resources, ResourceAmounts } from './resources';
export { ServiceType } from './service-type';
export { CONFIG_HASH_ANNOTATION, ConfigHashSources, addConfigHash, configHash } from './config-hash';

// Constructs, their props and enums.
export { SecureNamespace, SecureNamespaceProps, PodSecurityLevel } from './namespace';
export { GrpcService, GrpcServiceProps, EndpointsProps, GRPC_SERVICE_DEFAULTS } from './grpc-service';
export { FleetOf, FleetOfProps, FleetMemberFactory, FLEET_SIZE_LIMIT } from './fleet';
export { Microservice, MicroserviceProps, MICROSERVICE_DEFAULTS } from './microservice';
export { GkeStorageClass, GkeStorageClassProps, GkeDiskType, ReclaimPolicy, GKE_PD_CSI_DRIVER } from './storage-class';
export { MongoReplicaSet, MongoReplicaSetProps, MongoUser, AntiAffinity, MONGO_REPLICA_SET_DEFAULTS, MONGO_PORT, MONGO_SECRET_KEYS } from './mongo-replica-set';
export { Postgres, PostgresProps, PostgresRole, PostgresClientEnvNames, POSTGRES_DEFAULTS, POSTGRES_PORT } from './postgres';
export {
  NodeDrainer, NodeDrainerProps, DrainBudget, drainBudget, NODE_DRAINER_DEFAULTS, NODE_DRAINER_RULES,
  GKE_PREEMPTIBLE_NODE_LABEL, GKE_SPOT_NODE_LABEL,
} from './node-drainer';

// The object checks: checkApp and the cdk8s validation plugin Mega8sValidation.
export * from './checks';
export {
  LocustLoadTest, LocustLoadTestProps, LocustMode, LocustTarget, LOCUST_LOAD_TEST_DEFAULTS, LOCUSTFILE_DIR, REPORTS_DIR, MAX_LOCUST_WORKERS,
} from './locust-load-test';
export {
  BlueGreenService, BlueGreenServiceProps, BlueGreenJobProps, BlueGreenProbe, Color, BLUE_GREEN_DEFAULTS, COLOR_LABEL, PREVIEW_TARGET_ENV,
  ARGOCD_HOOK, ARGOCD_HOOK_DELETE_POLICY, ARGOCD_SYNC_WAVE, colorSelector, otherColor, JobRole,
} from './blue-green-service';
