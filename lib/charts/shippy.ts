import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { GkeDiskType, GkeStorageClass, Microservice, MongoReplicaSet, Postgres, SecureNamespace, ServiceType } from '../../constructs';
import { Environment, defineSettings, optionalSetting } from '../env';
import { ChartDefinition } from './chart';
import { cidrList } from './source-ranges';

export const SHIPPY_NAMESPACE = 'shippy';
const PART_OF = 'shippy';

/** The go-micro services: `--selector=static` hands service discovery to Kubernetes DNS. */
const SERVICE_ARGS = ['--selector=static', '--server_address=:8080'];
/** The services that keep their data in MongoDB. */
export const MONGO_SERVICES = ['vessel', 'consignment', 'email'] as const;

/** The env-file keys of this chart. */
export const SHIPPY_SETTINGS = defineSettings('shippy', {
  loadBalancerSourceRanges: optionalSetting('SHIPPY_LOAD_BALANCER_SOURCE_RANGES', cidrList(), { doc: 'The only client ranges the shippy LoadBalancers (the micro API gateway and the UI) admit (their `loadBalancerSourceRanges` and NetworkPolicies). Default: any source.' }),
});

/**
 * Who calls whom inside shippy (the clients each service's NetworkPolicy admits on 8080): the
 * micro API gateway calls every service; consignment asks vessel for a vessel; user tells email
 * about new users. The gateway and the UI take their traffic from outside, through their
 * LoadBalancers.
 */
export const SHIPPY_CALLS: Readonly<Record<string, readonly string[]>> = {
  vessel: ['micro', 'consignment'],
  consignment: ['micro'],
  email: ['micro', 'user'],
  user: ['micro'],
};

/**
 * The article's shippy platform, in namespace `shippy` (Pod Security "restricted"):
 *
 * - the `fast` StorageClass (SSD persistent disks, through the PD CSI driver);
 * - MongoDB as a replica set `mongo` of 3 members (`rs0`), initiated without the article's
 *   unmaintained mongo-k8s-sidecar, with keyfile authentication (Secret `mongo-auth`);
 * - Postgres for the user service: one primary (Secret `postgres-auth`). The article's three
 *   postgres pods were three unrelated databases behind one Service;
 * - vessel, consignment and email (MongoDB) and user (Postgres): a Deployment and a Service each,
 *   `--selector=static --server_address=:8080`. Their `DB_HOST` is the replica set's connection
 *   string (all members, `replicaSet=rs0`, credentials expanded from the Secret), not the
 *   article's `mongo:27017`, which reached one arbitrary member;
 * - the micro API gateway (3 replicas) and the UI, each behind a LoadBalancer on port 80 that maps
 *   to the container's unprivileged 8080 (the article's containers bound port 80 as root);
 * - NetworkPolicies: the namespace denies all ingress; only the services that use a database
 *   reach it, each service admits only its callers (`SHIPPY_CALLS`), and the gateway and the UI
 *   admit outside traffic (from `SHIPPY_LOAD_BALANCER_SOURCE_RANGES` only, when set).
 *
 * Rollouts: the article stamped an `UPDATED_AT` date into every Deployment so that `kubectl
 * replace` would roll it; here each pod template carries `mega8s.io/config-hash`, the hash of the
 * configuration it consumes, so pods roll when (and only when) it changes, and the output stays
 * the same from one synth to the next. New code arrives with a new image tag (IMAGE_TAG).
 *
 * Images: the project's own (`<IMAGE_REGISTRY>/<service>:<IMAGE_TAG>`). The gateway too: the
 * article's `microhq/micro:kubernetes` is a moving tag of a retired image, so the project builds
 * and publishes its gateway with its services.
 */
export class ShippyChart extends Chart {
  public readonly fast: GkeStorageClass;
  public readonly mongo: MongoReplicaSet;
  public readonly postgres: Postgres;
  /** vessel, consignment, email, user, micro, ui. */
  public readonly services: Readonly<Record<string, Microservice>>;

  constructor(scope: Construct, env: Environment) {
    super(scope, 'shippy', { namespace: SHIPPY_NAMESPACE, disableResourceNameHashes: true });
    new SecureNamespace(this, 'Namespace', { name: SHIPPY_NAMESPACE, partOf: PART_OF });
    const image = (service: string) => `${env.images.registry}/${service}:${env.images.tag}`;
    const sourceRanges = SHIPPY_SETTINGS.of(env).loadBalancerSourceRanges;

    this.fast = new GkeStorageClass(this, 'fast', { diskType: GkeDiskType.PD_SSD, partOf: PART_OF });
    this.mongo = new MongoReplicaSet(this, 'mongo', {
      replicas: 3,
      replicaSetName: 'rs0',
      storageSize: '10Gi',
      storageClassName: this.fast.name,
      partOf: PART_OF,
      // Each service its own user, readWrite on its own database (Secrets mongo-<service>-auth).
      users: MONGO_SERVICES.map((name) => ({ name })),
    });
    this.postgres = new Postgres(this, 'postgres', {
      database: 'users',
      // The user service's own role, owner of database users (Secret postgres-user-auth).
      roles: [{ name: 'user', database: 'users' }],
      storageSize: '10Gi',
      storageClassName: this.fast.name,
      partOf: PART_OF,
    });

    const services: Record<string, Microservice> = {};
    for (const name of MONGO_SERVICES) {
      services[name] = new Microservice(this, name, {
        image: image(`${name}-service`),
        partOf: PART_OF,
        args: SERVICE_ARGS,
        env: this.mongo.clientEnv('DB_HOST', name),
      });
      this.mongo.allowFrom(services[name].selector);
    }
    services.user = new Microservice(this, 'user', {
      image: image('user-service'),
      partOf: PART_OF,
      args: SERVICE_ARGS,
      env: this.postgres.clientEnv({ host: 'DB_HOST', port: 'DB_PORT', database: 'DB_NAME', user: 'DB_USER', password: 'DB_PASSWORD' }, 'user'),
    });
    this.postgres.allowFrom(services.user.selector);

    services.micro = new Microservice(this, 'micro', {
      image: image('micro'),
      component: 'api-gateway',
      partOf: PART_OF,
      replicas: 3,
      args: ['api', '--handler=rpc', `--namespace=${SHIPPY_NAMESPACE}`],
      env: [{ name: 'MICRO_API_ADDRESS', value: ':8080' }],
      serviceType: ServiceType.LOAD_BALANCER,
      ...(sourceRanges ? { loadBalancerSourceRanges: sourceRanges } : {}),
      servicePort: 80,
    });
    services.ui = new Microservice(this, 'ui', {
      image: image('ui'),
      component: 'frontend',
      partOf: PART_OF,
      serviceType: ServiceType.LOAD_BALANCER,
      ...(sourceRanges ? { loadBalancerSourceRanges: sourceRanges } : {}),
      servicePort: 80,
    });
    for (const [callee, callers] of Object.entries(SHIPPY_CALLS)) {
      for (const caller of callers) services[callee].allowFrom(services[caller].selector);
    }
    this.services = services;
  }
}

export const shippyChart: ChartDefinition = {
  name: 'shippy',
  build: (scope, env) => new ShippyChart(scope, env),
  settings: SHIPPY_SETTINGS,
};
