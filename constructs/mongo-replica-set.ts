import { ApiObject, Chart } from 'cdk8s';
import { MONGO_INIT_SCRIPT_PATH, MONGO_MEMBER_SCRIPT, MongoInitConfig, mongoInitScript } from './scripts/mongo';
import { dataClaimTemplate, keepNullCreationTimestamps } from './stateful';
import { Construct } from 'constructs';
import { EnvVar, Workload, WorkloadProps, plainJson } from './workload';
import { configHashAnnotations } from './config-hash';
import { downwardEnv } from './downward';
import { Resources } from './resources';
import { restrictedContainerSecurityContext } from './security';
import { GkeStorageClass } from './storage-class';
import {
  PropError, checkDns1123Subdomain, checkInteger, checkQuantity, show,
} from './validate';

/** How members of a stateful set are kept apart. */
export enum AntiAffinity {
  /** Never two members on one node: a member stays Pending rather than share a node. */
  REQUIRED = 'required',
  /** Spread members over nodes when the scheduler can; share a node when it cannot. */
  PREFERRED = 'preferred',
}

export interface MongoReplicaSetProps extends WorkloadProps {
  /**
   * Name of the StatefulSet, the headless Service, the PDB and the NetworkPolicy, and the
   * `app.kubernetes.io/instance` label. Members are `<name>-0`, `<name>-1`, …
   * @default the construct id
   */
  readonly name?: string;
  /**
   * Number of members (the StatefulSet's replicas), 1-7. An odd number is better: a primary needs a majority
   * of votes, so 4 members survive the loss of one, exactly like 3 do.
   * @default 3
   */
  readonly replicas?: number;
  /**
   * The replica set name (`mongod --replSet`, `?replicaSet=` in the connection string).
   * @default 'rs0'
   */
  readonly replicaSetName?: string;
  /**
   * The mongo image; mongosh must be in it (the official image has it since 6.0).
   * @default MONGO_REPLICA_SET_DEFAULTS.image ('mongo:7.0.15')
   */
  readonly image?: string;
  /**
   * Size of each member's data volume.
   * @default '10Gi'
   */
  readonly storageSize?: string;
  /**
   * StorageClass of the data volumes.
   * @default the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Create the StorageClass named by `storageClassName`: a GKE SSD persistent disk class
   * (`GkeStorageClass`, `pd-ssd`). Leave it false when the class exists or another construct makes it.
   * @default false
   */
  readonly createStorageClass?: boolean;
  /**
   * Name of the Secret (created outside mega8s) holding `keyfile` (the replica set's shared key,
   * e.g. `openssl rand -base64 756`) and `admin-password` (the password of the admin user the init
   * step creates; URL-safe, e.g. `openssl rand -hex 24`).
   * @default '<name>-auth'
   */
  readonly authSecretName?: string;
  /**
   * Name of the admin user (role `root` on `admin`) the init step creates.
   * @default 'admin'
   */
  readonly adminUsername?: string;
  /**
   * Cluster DNS domain of the member names.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * mongod container resources; fields left out keep their defaults.
   * @default requests cpu 250m, memory 1Gi; limits memory 1Gi
   */
  readonly resources?: Resources;
  /**
   * WiredTiger cache size (`--wiredTigerCacheSizeGB`). Keep it well under the memory limit:
   * mongod, its connections and the mongosh probes share the container.
   * @default 0.25 (for the default 1Gi limit)
   */
  readonly wiredTigerCacheSizeGb?: number;
  /**
   * How members are spread over nodes (topology key `kubernetes.io/hostname`). Members are also
   * spread over zones when the scheduler can (preferred).
   * @default AntiAffinity.REQUIRED with 3 or more members, AntiAffinity.PREFERRED below
   */
  readonly antiAffinity?: AntiAffinity;
  /**
   * Seconds a member gets between SIGTERM and SIGKILL: a primary steps down first (waiting up to
   * `shutdownTimeoutSeconds` for a secondary to catch up), then mongod flushes and stops. Below 30
   * only where something else sets the budget, e.g. a node drain's grace period on preemptible
   * nodes; at least 10.
   * @default 30
   */
  readonly terminationGraceSeconds?: number;
  /**
   * How long mongod waits on SIGTERM for a secondary to catch up before a primary steps down
   * (`shutdownTimeoutMillisForSignaledShutdown`). Must leave 5 s of the grace period for mongod to
   * flush and exit.
   * @default 15 (mongod's own default), or terminationGraceSeconds - 5 when that is less
   */
  readonly shutdownTimeoutSeconds?: number;
  /**
   * Pod label selectors of the client workloads allowed to connect (same namespace). More can be
   * added with `allowFrom()`.
   * @default none: only the members themselves
   */
  readonly allowFrom?: Record<string, string>[];
  /**
   * Least-privilege users for the clients: each gets readWrite on its own database, and nothing
   * else. The init step creates them (or brings an existing one back to this password and role)
   * once the admin user exists, on every member start; `clientEnv(variable, user)` connects as one.
   * @default none
   */
  readonly users?: MongoUser[];
}

/** A client's own MongoDB user: readWrite on one database. */
export interface MongoUser {
  /** User name (letters, digits, '.', '_' and '-'). */
  readonly name: string;
  /**
   * The database the user may read and write, and where it is defined (`authSource`).
   * @default the user name
   */
  readonly database?: string;
  /**
   * Secret (created outside mega8s) holding the user's password (URL-safe, e.g. `openssl rand -hex 24`).
   * @default '<replica set name>-<user>-auth', e.g. 'mongo-vessel-auth'
   */
  readonly passwordSecretName?: string;
  /** Key of the password in that Secret. @default 'password' */
  readonly passwordSecretKey?: string;
}

export const MONGO_REPLICA_SET_DEFAULTS = {
  image: 'mongo:7.0.15',
  replicas: 3,
  maxReplicas: 7,
  replicaSetName: 'rs0',
  storageSize: '10Gi',
  adminUsername: 'admin',
  clusterDomain: 'cluster.local',
  wiredTigerCacheSizeGb: 0.25,
  terminationGraceSeconds: 30,
  minTerminationGraceSeconds: 10,
  shutdownTimeoutSeconds: 15,
  /** Seconds of the grace period kept for mongod to flush and exit after the step-down wait. */
  exitSeconds: 5,
  resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '1Gi' } } as Resources,
  initResources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } } as Resources,
} as const;

/** Prefix of the env vars that carry the client users' passwords into the init step. */
const USER_PASSWORD_VAR = 'MONGO_USER_PASSWORD_';
// A database name: no '/\\. "$*<>:|?' nor spaces; `admin`, `local` and `config` are MongoDB's.
const DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;

/** The keys the auth Secret must hold. */
export const MONGO_SECRET_KEYS = { keyfile: 'keyfile', adminPassword: 'admin-password' } as const;

export const MONGO_PORT = 27017;
const PORT_NAME = 'mongodb';
/** The official image runs mongod as uid/gid 999 (user `mongodb`). */
export const MONGO_UID = 999;

const SCRIPTS_DIR = MONGO_INIT_SCRIPT_PATH.slice(0, MONGO_INIT_SCRIPT_PATH.lastIndexOf('/'));
const KEYFILE_SECRET_DIR = '/etc/mongo-keyfile-secret';
const KEYFILE_DIR = '/etc/mongo-keyfile';
const KEYFILE = `${KEYFILE_DIR}/keyfile`;
const DATA_DIR = '/data/db';
/** The env var that carries the admin password into the init step. */
const PASSWORD_VAR = 'MONGO_ADMIN_PASSWORD';

// A replica set name: the connection string's `replicaSet=` value and mongod's `--replSet`.
const REPLICA_SET_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
// A user name that needs no escaping in a connection string.
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * mongosh's global configuration: no telemetry, and no log file per probe run (mongosh 2.4+;
 * older versions ignore the key, and their logs land in the /tmp emptyDir, never on the data volume).
 */
export const MONGOSH_CONF = `mongosh:
  disableLogging: true
  forceDisableTelemetry: true
`;

/**
 * A MongoDB replica set: a StatefulSet of `members` mongod pods, the headless Service that gives
 * them stable DNS names (`<name>-<i>.<name>.<namespace>.svc.<clusterDomain>`), the init step, a
 * PodDisruptionBudget and a NetworkPolicy.
 *
 * The replica set is initiated without any sidecar. The article's cvallance/mongo-k8s-sidecar is
 * unmaintained since 2020, speaks a wire protocol current servers reject and needs cluster-wide
 * pod-list rights. Here every member runs a small mongosh script next to mongod (see
 * constructs/scripts/mongo-init.js); it is idempotent, so restarts, re-applies and scaling never
 * re-initiate the set.
 *
 * Why in the members and not in a Job: with keyfile authentication on, the only way to run
 * `rs.initiate` and create the first user without credentials is MongoDB's localhost exception, a
 * loopback connection to mongod, which a Job in another pod cannot make. A Job would also be
 * immutable once applied (`kubectl apply` fails when its template changes) and would have to be
 * deleted and re-run by hand. Members start in parallel (`podManagementPolicy: Parallel`): member 0
 * needs every other member to answer before it initiates, and none of them is ready before that.
 *
 * Keyfile authentication: the key comes from a Secret referenced by name (created outside mega8s).
 * With `fsGroup` set, Kubernetes makes Secret files group-readable (0440), and mongod refuses a
 * keyfile that is; an init container copies it into an in-memory emptyDir with mode 0400, owned by
 * uid 999.
 *
 * Scaling up adds pods that are not in the set: add them with `rs.add()` from the primary (the
 * construct never reconfigures a running set).
 *
 * Contract ids (renaming one renames a resource): `StatefulSet`, `Service`, `Scripts`, `Pdb`,
 * `NetworkPolicy`, `StorageClass`.
 */
export class MongoReplicaSet extends Workload {
  /** Name of the StatefulSet, the Service, the PDB and the NetworkPolicy. */
  public readonly namespace: string;
  public readonly replicaSetName: string;
  public readonly port: number = MONGO_PORT;
  /** `host:port` of every member by its stable DNS name, in ordinal order. */
  public readonly hosts: readonly string[];
  /** `mongodb://<member-0>:27017,…/?replicaSet=<name>`: the seed list for clients (no credentials). */
  public readonly connectionString: string;
  /** The Secret holding `keyfile` and `admin-password`. */
  public readonly authSecretName: string;
  /** The client users, with their database and Secret. */
  public readonly users: readonly Required<MongoUser>[];
  public readonly adminUsername: string;
  public readonly statefulSet: ApiObject;
  public readonly service: ApiObject;
  /** The ConfigMap with the member entrypoint, the init step and the mongosh configuration. */
  public readonly scripts: ApiObject;
  public readonly podDisruptionBudget: ApiObject;
  declare public readonly networkPolicy: ApiObject;
  /** Present when `createStorageClass` is set. */
  public readonly storageClass?: GkeStorageClass;

  constructor(scope: Construct, id: string, props: MongoReplicaSetProps = {}) {
    const D = MONGO_REPLICA_SET_DEFAULTS;
    const image = props.image ?? D.image;
    super(scope, id, props, {
      appName: 'mongodb',
      component: 'database',
      image,
      // Pods get a controller-revision-hash label of <name>-<10 characters>, which must fit in 63.
      maxNameLength: 52,
      defaults: {
        resources: D.resources,
        runAsUser: MONGO_UID,
        runAsGroup: MONGO_UID,
        fsGroup: MONGO_UID,
        terminationGraceSeconds: D.terminationGraceSeconds,
        minTerminationGraceSeconds: D.minTerminationGraceSeconds,
        minTerminationGraceReason: 'a primary steps down on SIGTERM and mongod then flushes and stops',
        replicas: D.replicas,
      },
      replicaRange: [1, D.maxReplicas],
      reservedEnv: ['POD_NAME', 'HOME', PASSWORD_VAR],
    });
    const name = this.name;
    const replicas = this.replicas!;
    const namespace = Chart.of(this).namespace;
    if (!namespace) throw new PropError(this, 'namespace', 'the chart has no namespace: the members\' DNS names need one (new Chart(scope, id, { namespace }))');
    this.namespace = namespace;
    const setName = this.replicaSetName = props.replicaSetName ?? D.replicaSetName;
    if (typeof setName !== 'string' || !REPLICA_SET_NAME.test(setName)) {
      throw new PropError(this, 'replicaSetName', `replicaSetName ${show(setName)} is not a valid replica set name (letters, digits, '_' and '-', starting with a letter or '_', at most 64 characters)`);
    }
    const storageSize = checkQuantity(this, 'storageSize', props.storageSize ?? D.storageSize);
    const storageClassName = props.storageClassName === undefined ? undefined : checkDns1123Subdomain(this, 'storageClassName', props.storageClassName);
    if (props.createStorageClass && storageClassName === undefined) {
      throw new PropError(this, 'createStorageClass', 'createStorageClass is true but storageClassName is not set: expected the name of the StorageClass to create');
    }
    this.authSecretName = checkDns1123Subdomain(this, 'authSecretName', props.authSecretName ?? `${name}-auth`);
    const adminUsername = this.adminUsername = props.adminUsername ?? D.adminUsername;
    if (typeof adminUsername !== 'string' || !USERNAME.test(adminUsername)) {
      throw new PropError(this, 'adminUsername', `adminUsername ${show(adminUsername)} is not a valid user name (letters, digits, '.', '_' and '-', at most 64 characters)`);
    }
    const clusterDomain = checkDns1123Subdomain(this, 'clusterDomain', props.clusterDomain ?? D.clusterDomain);
    this.users = this.validateUsers(props.users);
    const cacheGb = props.wiredTigerCacheSizeGb ?? D.wiredTigerCacheSizeGb;
    if (typeof cacheGb !== 'number' || !Number.isFinite(cacheGb) || cacheGb < 0.25 || cacheGb > 10000) {
      throw new PropError(this, 'wiredTigerCacheSizeGb', `wiredTigerCacheSizeGb ${show(cacheGb)} is out of range: expected 0.25-10000`);
    }
    const grace = this.terminationGraceSeconds;
    const shutdownTimeout = props.shutdownTimeoutSeconds ?? Math.min(D.shutdownTimeoutSeconds, grace - D.exitSeconds);
    checkInteger(this, 'shutdownTimeoutSeconds', shutdownTimeout, 1);
    if (shutdownTimeout > grace - D.exitSeconds) {
      throw new PropError(this, 'shutdownTimeoutSeconds', `shutdownTimeoutSeconds ${shutdownTimeout} does not fit terminationGraceSeconds ${grace}: mongod needs ${D.exitSeconds} s after it to flush and exit; expected at most ${grace - D.exitSeconds}`);
    }
    const antiAffinity = props.antiAffinity ?? (replicas >= 3 ? AntiAffinity.REQUIRED : AntiAffinity.PREFERRED);
    if (!Object.values(AntiAffinity).includes(antiAffinity)) {
      throw new PropError(this, 'antiAffinity', `antiAffinity ${show(antiAffinity)} is not one of ${Object.values(AntiAffinity).join(', ')}`);
    }

    const selector = this.selector;
    this.addPort({ name: PORT_NAME, port: MONGO_PORT, protocol: 'TCP' });

    this.hosts = Array.from({ length: replicas }, (_, i) => `${name}-${i}.${name}.${namespace}.svc.${clusterDomain}:${MONGO_PORT}`);
    this.connectionString = `mongodb://${this.hosts.join(',')}/?replicaSet=${setName}`;

    if (props.createStorageClass && storageClassName !== undefined) {
      this.storageClass = new GkeStorageClass(this, 'StorageClass', { name: storageClassName, partOf: props.partOf });
    }

    const initConfig: MongoInitConfig = {
      setName,
      hosts: this.hosts,
      localUri: `mongodb://127.0.0.1:${MONGO_PORT}/?directConnection=true&serverSelectionTimeoutMS=2000`,
      peerOptions: '?directConnection=true&serverSelectionTimeoutMS=2000&connectTimeoutMS=2000',
      adminUser: adminUsername,
      passwordVar: PASSWORD_VAR,
      ...(this.users.length ? {
        users: this.users.map((u, i) => ({ user: u.name, db: u.database, passwordVar: `${USER_PASSWORD_VAR}${i}` })),
        setOptions: `?replicaSet=${setName}&authSource=admin&serverSelectionTimeoutMS=5000`,
      } : {}),
      intervalMs: 5000,
      timeoutMs: 3600_000,
    };
    this.scripts = this.object('Scripts', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-scripts` },
      data: {
        'member.sh': MONGO_MEMBER_SCRIPT,
        'init-replica-set.js': mongoInitScript(initConfig),
        'mongosh.conf': MONGOSH_CONF,
      },
    });

    this.service = this.object('Service', {
      apiVersion: 'v1',
      kind: 'Service',
      spec: {
        // Headless, and listing members before they are ready: members must resolve each other
        // by name to form the set, and none is ready until it has.
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector,
        ports: [{ name: PORT_NAME, protocol: 'TCP', port: MONGO_PORT, targetPort: PORT_NAME }],
      },
    });

    const mongosh = (js: string): string[] => ['mongosh', '--quiet', '--norc', '--port', String(MONGO_PORT), '--eval', js];
    const env: EnvVar[] = [
      ...downwardEnv(['POD_NAME']),
      // mongosh keeps its history and logs under $HOME; the image's HOME is the data volume.
      { name: 'HOME', value: '/tmp' },
      { name: PASSWORD_VAR, valueFrom: { secretKeyRef: { name: this.authSecretName, key: MONGO_SECRET_KEYS.adminPassword } } },
      ...this.users.map((u, i): EnvVar => ({ name: `${USER_PASSWORD_VAR}${i}`, valueFrom: { secretKeyRef: { name: u.passwordSecretName, key: u.passwordSecretKey } } })),
      ...this.env,
    ];
    const containerSecurity = restrictedContainerSecurityContext();
    const podAffinityTerm = (topologyKey: string) => ({ labelSelector: { matchLabels: selector }, topologyKey });
    const zoneSpread = { weight: 50, podAffinityTerm: podAffinityTerm('topology.kubernetes.io/zone') };
    const podAntiAffinity = antiAffinity === AntiAffinity.REQUIRED
      ? { requiredDuringSchedulingIgnoredDuringExecution: [podAffinityTerm('kubernetes.io/hostname')], preferredDuringSchedulingIgnoredDuringExecution: [zoneSpread] }
      : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: podAffinityTerm('kubernetes.io/hostname') }, zoneSpread] };

    this.statefulSet = this.object('StatefulSet', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      spec: {
        serviceName: this.service.name,
        replicas,
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        template: this.podTemplate({
            affinity: { podAntiAffinity, ...this.scheduling.affinity },
            initContainers: [{
              name: 'copy-keyfile',
              image,
              // The Secret's file is 0440 under fsGroup; mongod wants 0400. The copy is owned by
              // the container's uid 999 and lives in memory only.
              command: ['/bin/sh', '-c', `set -eu; rm -f ${KEYFILE}; cp ${KEYFILE_SECRET_DIR}/${MONGO_SECRET_KEYS.keyfile} ${KEYFILE}; chmod 0400 ${KEYFILE}`],
              resources: this.validateResources('initResources', undefined, D.initResources),
              securityContext: containerSecurity,
              volumeMounts: [
                { name: 'keyfile-secret', mountPath: KEYFILE_SECRET_DIR, readOnly: true },
                { name: 'keyfile', mountPath: KEYFILE_DIR },
              ],
            }],
            containers: [{
              name: 'mongod',
              image,
              command: ['/bin/sh', `${SCRIPTS_DIR}/member.sh`],
              args: [
                'mongod',
                '--replSet', setName,
                '--bind_ip_all',
                '--port', String(MONGO_PORT),
                '--dbpath', DATA_DIR,
                '--keyFile', KEYFILE,
                '--wiredTigerCacheSizeGB', String(cacheGb),
                // The step-down wait on SIGTERM, sized to fit the termination grace period.
                '--setParameter', `shutdownTimeoutMillisForSignaledShutdown=${shutdownTimeout * 1000}`,
              ],
              ports: [{ name: PORT_NAME, containerPort: MONGO_PORT, protocol: 'TCP' }],
              env,
              // Ready when primary or secondary: a member still syncing or not yet in the set
              // must not count as available (the PDB relies on it).
              readinessProbe: {
                exec: { command: mongosh('const h = db.hello(); if (!(h.isWritablePrimary || h.secondary)) quit(1)') },
                initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3,
              },
              livenessProbe: {
                exec: { command: mongosh("db.adminCommand('ping')") },
                periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6,
              },
              // Journal recovery after an unclean stop can take minutes before mongod listens:
              // the liveness probe only starts once mongod has answered.
              startupProbe: {
                exec: { command: mongosh("db.adminCommand('ping')") },
                periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 60,
              },
              resources: this.resources,
              securityContext: containerSecurity,
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                { name: 'keyfile', mountPath: KEYFILE_DIR, readOnly: true },
                { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true },
                { name: 'scripts', mountPath: '/etc/mongosh.conf', subPath: 'mongosh.conf', readOnly: true },
                // mongod's Unix socket, mongosh's home.
                { name: 'tmp', mountPath: '/tmp' },
              ],
            }],
            volumes: [
              { name: 'keyfile-secret', secret: { secretName: this.authSecretName, defaultMode: 0o400, items: [{ key: MONGO_SECRET_KEYS.keyfile, path: MONGO_SECRET_KEYS.keyfile }] } },
              { name: 'keyfile', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
              { name: 'scripts', configMap: { name: this.scripts.name, defaultMode: 0o444 } },
              { name: 'tmp', emptyDir: {} },
            ],
        }, configHashAnnotations({ configMaps: [this.scripts], env })),
        volumeClaimTemplates: [plainJson(dataClaimTemplate(selector, storageSize, storageClassName))],
      },
    });

    keepNullCreationTimestamps(this.statefulSet, 1);
    this.podDisruptionBudget = this.onePodAtATime();

    this.admitIngress({ namespace: this.namespace, peers: true });
    for (const client of props.allowFrom ?? []) this.allowFrom(client);
  }

  /**
   * Lets the pods matching `podSelector` connect on 27017 (from `namespace`, or from this
   * replica set's namespace). Nothing else gets in.
   */
  public allowFrom(podSelector: Record<string, string>, namespace?: string): void {
    super.allowFrom(podSelector, namespace);
  }

  /**
   * Env vars that give a client the connection string in `variable`: as `user` (one of `users`),
   * `mongodb://$(MONGODB_USERNAME):$(MONGODB_PASSWORD)@<members>/<database>?replicaSet=…&authSource=<database>`;
   * without `user`, as the admin user (role root: for tools, not applications) on `admin`.
   * Kubernetes expands `$(VAR)` from the entries before it, so keep the order.
   */
  public clientEnv(variable: string = 'MONGODB_URI', user?: string): EnvVar[] {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw new PropError(this, 'clientEnv', `clientEnv variable ${show(variable)} is not a valid environment variable name`);
    if (user !== undefined) {
      const u = this.users.find((x) => x.name === user);
      if (!u) throw new PropError(this, 'clientEnv', `clientEnv user ${show(user)} is not one of the users: expected one of ${show(this.users.map((x) => x.name))}`);
      return [
        { name: 'MONGODB_USERNAME', value: u.name },
        { name: 'MONGODB_PASSWORD', valueFrom: { secretKeyRef: { name: u.passwordSecretName, key: u.passwordSecretKey } } },
        { name: variable, value: `mongodb://$(MONGODB_USERNAME):$(MONGODB_PASSWORD)@${this.hosts.join(',')}/${u.database}?replicaSet=${this.replicaSetName}&authSource=${u.database}` },
      ];
    }
    return [
      { name: 'MONGODB_USERNAME', value: this.adminUsername },
      { name: 'MONGODB_PASSWORD', valueFrom: { secretKeyRef: { name: this.authSecretName, key: MONGO_SECRET_KEYS.adminPassword } } },
      { name: variable, value: `mongodb://$(MONGODB_USERNAME):$(MONGODB_PASSWORD)@${this.hosts.join(',')}/?replicaSet=${this.replicaSetName}&authSource=admin` },
    ];
  }

  private validateUsers(users: MongoUser[] | undefined): Required<MongoUser>[] {
    if (users === undefined) return [];
    if (!Array.isArray(users)) throw new PropError(this, 'users', `users ${show(users)} is not a list of { name, database }`);
    for (const v of this.env) {
      if (v.name.startsWith(USER_PASSWORD_VAR)) throw new PropError(this, 'env', `env ${show(v.name)} is set by the construct itself (${USER_PASSWORD_VAR}* carry the users' passwords) and cannot be overridden`);
    }
    const out = users.map((u) => {
      if (u === null || typeof u !== 'object') throw new PropError(this, 'users', `users entry ${show(u)} is not an object: expected { name, database }`);
      if (typeof u.name !== 'string' || !USERNAME.test(u.name)) {
        throw new PropError(this, 'users', `users name ${show(u.name)} is not a valid user name (letters, digits, '.', '_' and '-', at most 64 characters)`);
      }
      if (u.name === this.adminUsername) throw new PropError(this, 'users', `users name ${show(u.name)} is the admin user: expected a user of its own for each client`);
      const database = u.database ?? u.name;
      if (typeof database !== 'string' || !DATABASE_NAME.test(database) || ['admin', 'local', 'config'].includes(database)) {
        throw new PropError(this, 'users', `users ${u.name} database ${show(database)} is not a client database name (letters, digits, '_' and '-', at most 63 characters; not admin, local or config)`);
      }
      const secret = checkDns1123Subdomain(this, 'users.passwordSecretName', u.passwordSecretName ?? `${this.name}-${u.name}-auth`);
      const key = u.passwordSecretKey ?? 'password';
      if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(key)) {
        throw new PropError(this, 'users', `users ${u.name} passwordSecretKey ${show(key)} is not a valid Secret key (letters, digits, '-', '_' and '.')`);
      }
      return { name: u.name, database, passwordSecretName: secret, passwordSecretKey: key };
    });
    out.forEach((u, i) => {
      if (out.findIndex((x) => x.name === u.name) !== i) throw new PropError(this, 'users', `users lists ${show(u.name)} twice: expected each user once`);
      if (out.findIndex((x) => x.database === u.database) !== i) throw new PropError(this, 'users', `users ${u.name} and ${out.find((x) => x.database === u.database)!.name} share database ${show(u.database)}: expected one user per client database`);
    });
    return out;
  }
}
