import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { configHashAnnotations } from './config-hash';
import { Resources } from './resources';
import { restrictedContainerSecurityContext } from './security';
import { dataClaimTemplate, keepNullCreationTimestamps } from './stateful';
import { PropError, checkDns1123Subdomain, checkQuantity, show } from './validate';
import { EnvVar, Workload, WorkloadProps, plainJson } from './workload';

export interface PostgresProps extends WorkloadProps {
  /**
   * Name of the StatefulSet, the headless Service, the PDB and the NetworkPolicy, and the
   * `app.kubernetes.io/instance` label (at most 52 characters). The pod is `<name>-0`.
   * @default the construct id
   */
  readonly name?: string;
  /**
   * Must be 1: this construct runs one primary. Independent Postgres pods behind one Service are
   * separate databases, not a cluster; for replicas and failover use an operator such as
   * CloudNativePG.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * The postgres image (a Debian variant: its `postgres` user is uid 999).
   * @default POSTGRES_DEFAULTS.image ('postgres:16.4-bookworm')
   */
  readonly image?: string;
  /**
   * Database created on first start (`POSTGRES_DB`).
   * @default 'postgres'
   */
  readonly database?: string;
  /**
   * Superuser created on first start (`POSTGRES_USER`).
   * @default 'postgres'
   */
  readonly username?: string;
  /**
   * Secret (created outside mega8s) holding the superuser's password.
   * @default '<name>-auth'
   */
  readonly passwordSecretName?: string;
  /**
   * Key of the password in that Secret.
   * @default 'password'
   */
  readonly passwordSecretKey?: string;
  /**
   * Size of the data volume.
   * @default '10Gi'
   */
  readonly storageSize?: string;
  /**
   * StorageClass of the data volume.
   * @default the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Cluster DNS domain of `host`.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Seconds between the stop signal and SIGKILL. The image stops with SIGINT (fast shutdown:
   * sessions are cut, a shutdown checkpoint is written); at least 30.
   * @default 60
   */
  readonly terminationGraceSeconds?: number;
  /**
   * Container resources; fields left out keep their defaults.
   * @default requests cpu 250m, memory 256Mi; limits memory 512Mi
   */
  readonly resources?: Resources;
  /**
   * User id postgres runs as; the data volume's group follows it.
   * @default 999, the Debian image's `postgres` user
   */
  readonly runAsUser?: number;
  /**
   * Pod label selectors of the client workloads allowed to connect (same namespace). More can be
   * added with `allowFrom()`.
   * @default none: nobody
   */
  readonly allowFrom?: Record<string, string>[];
  /**
   * Least-privilege roles for the clients: each a LOGIN role (no superuser, createdb or createrole)
   * that owns its own database, which no other role may connect to. Created on the first start
   * (an idempotent SQL script in /docker-entrypoint-initdb.d, which the image runs only when the
   * data directory is new); `clientEnv(names, role)` connects as one.
   * @default none
   */
  readonly roles?: PostgresRole[];
}

/** A client's own Postgres role: the owner of one database. */
export interface PostgresRole {
  /** Role name (a plain SQL identifier; not `pg_*`, not the superuser). */
  readonly name: string;
  /** The database the role owns (created when missing). @default the role name */
  readonly database?: string;
  /** Secret (created outside mega8s) holding the role's password. @default '<name>-<role>-auth' */
  readonly passwordSecretName?: string;
  /** Key of the password in that Secret. @default 'password' */
  readonly passwordSecretKey?: string;
}

/** Prefix of the env vars that carry the roles' passwords into the init script. */
const ROLE_PASSWORD_VAR = 'MEGA8S_ROLE_PASSWORD_';
/** Where the image runs its first-start scripts. */
const INITDB_DIR = '/docker-entrypoint-initdb.d';
/** The roles script's file name in the ConfigMap and in INITDB_DIR. */
export const POSTGRES_ROLES_SCRIPT = '10-mega8s-roles.sql';

/**
 * The roles script (psql, run by the image's entrypoint as the superuser on the first start).
 * Every statement is idempotent, so it can be run again on a live database:
 * `kubectl exec <name>-0 -- psql -U <superuser> -f /docker-entrypoint-initdb.d/10-mega8s-roles.sql`.
 */
export function postgresRolesScript(roles: readonly { name: string; database: string; passwordVar: string }[]): string {
  const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const lines = [
    '-- mega8s: one role per client database, owning it and nothing else. Idempotent.',
    '\\set ON_ERROR_STOP on',
  ];
  for (const r of roles) {
    const role = lit(r.name);
    const db = lit(r.database);
    lines.push(
      '',
      `-- role ${r.name}, database ${r.database}; the password from $${r.passwordVar}`,
      `\\getenv role_password ${r.passwordVar}`,
      `\\if :{?role_password}`,
      `\\else`,
      // With ON_ERROR_STOP, a failing statement stops psql with a non-zero status (and initdb with it).
      `  DO $$ BEGIN RAISE EXCEPTION '${r.passwordVar} is not set: cannot create role ${r.name.replace(/'/g, "''")}'; END $$;`,
      `\\endif`,
      `SELECT format('CREATE ROLE %I', ${role}) WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${role}) \\gexec`,
      `SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', ${role}, :'role_password') \\gexec`,
      `SELECT format('CREATE DATABASE %I OWNER %I', ${db}, ${role}) WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = ${db}) \\gexec`,
      `SELECT format('ALTER DATABASE %I OWNER TO %I', ${db}, ${role}) \\gexec`,
      `SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', ${db}) \\gexec`,
      '\\unset role_password',
    );
  }
  return `${lines.join('\n')}\n`;
}

export const POSTGRES_DEFAULTS = {
  image: 'postgres:16.4-bookworm',
  database: 'postgres',
  username: 'postgres',
  passwordSecretKey: 'password',
  storageSize: '10Gi',
  clusterDomain: 'cluster.local',
  terminationGraceSeconds: 60,
  minTerminationGraceSeconds: 30,
  resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } } as Resources,
} as const;

export const POSTGRES_PORT = 5432;
const PORT_NAME = 'postgresql';
/** The Debian postgres image's `postgres` user and group. */
export const POSTGRES_UID = 999;
const DATA_MOUNT = '/var/lib/postgresql/data';
/** A subfolder: a fresh disk's root holds `lost+found`, and initdb refuses a non-empty directory. */
export const POSTGRES_PGDATA = `${DATA_MOUNT}/pgdata`;

// Unquoted SQL identifiers: what POSTGRES_DB and POSTGRES_USER can be without quoting games.
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Names of the libpq-style variables `clientEnv` fills. */
export interface PostgresClientEnvNames {
  /** @default 'PGHOST' */
  readonly host?: string;
  /** @default 'PGPORT' */
  readonly port?: string;
  /** @default 'PGDATABASE' */
  readonly database?: string;
  /** @default 'PGUSER' */
  readonly user?: string;
  /** @default 'PGPASSWORD' */
  readonly password?: string;
}

/**
 * One PostgreSQL primary: a StatefulSet of one pod with a 10Gi volume, a headless Service on
 * 5432, `pg_isready` probes, a PodDisruptionBudget and a NetworkPolicy that admits only the
 * clients named with `allowFrom`.
 *
 * The article ran three postgres pods behind one Service: three separate, diverging databases
 * with the reads and writes of a client landing on whichever answered. mega8s does not pretend;
 * `replicas` other than 1 is an error that names CloudNativePG.
 *
 * The password comes from a Secret referenced by name; the database lives in a subfolder of the
 * volume (`PGDATA`); the root filesystem is read-only, with emptyDirs for the socket directory
 * (/var/run/postgresql) and /tmp.
 *
 * Contract ids: `StatefulSet`, `Service`, `Pdb`, `NetworkPolicy`.
 */
export class Postgres extends Workload {
  public readonly namespace: string;
  /** The Service's DNS name: `<name>.<namespace>.svc.<clusterDomain>`. */
  public readonly host: string;
  public readonly port: number = POSTGRES_PORT;
  public readonly database: string;
  public readonly username: string;
  public readonly passwordSecretName: string;
  public readonly passwordSecretKey: string;
  /** The client roles, with their database and Secret. */
  public readonly roles: readonly Required<PostgresRole>[];
  /** The ConfigMap with the roles script (present when `roles` is set). */
  public readonly initScripts?: ApiObject;
  public readonly statefulSet: ApiObject;
  public readonly service: ApiObject;
  public readonly podDisruptionBudget: ApiObject;
  declare public readonly networkPolicy: ApiObject;

  constructor(scope: Construct, id: string, props: PostgresProps = {}) {
    const D = POSTGRES_DEFAULTS;
    const image = props.image ?? D.image;
    super(scope, id, props, {
      appName: 'postgresql',
      component: 'database',
      image,
      maxNameLength: 52,
      defaults: {
        resources: D.resources,
        runAsUser: POSTGRES_UID,
        runAsGroup: POSTGRES_UID,
        fsGroup: POSTGRES_UID,
        terminationGraceSeconds: D.terminationGraceSeconds,
        minTerminationGraceSeconds: D.minTerminationGraceSeconds,
        minTerminationGraceReason: 'postgres writes a shutdown checkpoint before it stops',
        replicas: 1,
      },
      reservedEnv: ['POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD', 'PGDATA'],
    });
    const name = this.name;
    if (this.replicas !== 1) {
      throw new PropError(this, 'replicas', `replicas ${show(this.replicas)} is not supported: independent postgres pods are separate databases, not a cluster (nothing replicates between them and a client lands on any of them); run one primary (replicas 1), or use a postgres operator such as CloudNativePG for replicas and failover`);
    }
    const namespace = Chart.of(this).namespace;
    if (!namespace) throw new PropError(this, 'namespace', 'the chart has no namespace: the Service\'s DNS name needs one (new Chart(scope, id, { namespace }))');
    this.namespace = namespace;
    const database = this.database = props.database ?? D.database;
    if (typeof database !== 'string' || !SQL_IDENTIFIER.test(database)) {
      throw new PropError(this, 'database', `database ${show(database)} is not a plain SQL identifier (lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters)`);
    }
    const username = this.username = props.username ?? D.username;
    if (typeof username !== 'string' || !SQL_IDENTIFIER.test(username)) {
      throw new PropError(this, 'username', `username ${show(username)} is not a plain SQL identifier (lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters)`);
    }
    this.passwordSecretName = checkDns1123Subdomain(this, 'passwordSecretName', props.passwordSecretName ?? `${name}-auth`);
    const key = this.passwordSecretKey = props.passwordSecretKey ?? D.passwordSecretKey;
    if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(key)) {
      throw new PropError(this, 'passwordSecretKey', `passwordSecretKey ${show(key)} is not a valid Secret key (letters, digits, '-', '_' and '.')`);
    }
    this.roles = this.validateRoles(props.roles);
    const storageSize = checkQuantity(this, 'storageSize', props.storageSize ?? D.storageSize);
    const storageClassName = props.storageClassName === undefined ? undefined : checkDns1123Subdomain(this, 'storageClassName', props.storageClassName);
    const clusterDomain = checkDns1123Subdomain(this, 'clusterDomain', props.clusterDomain ?? D.clusterDomain);
    const selector = this.selector;
    this.addPort({ name: PORT_NAME, port: POSTGRES_PORT, protocol: 'TCP' });
    this.host = `${name}.${namespace}.svc.${clusterDomain}`;

    this.service = this.object('Service', {
      apiVersion: 'v1',
      kind: 'Service',
      spec: {
        clusterIP: 'None',
        selector,
        ports: [{ name: PORT_NAME, protocol: 'TCP', port: POSTGRES_PORT, targetPort: PORT_NAME }],
      },
    });

    // Literal values: the probe needs no shell. Exit 0 = accepting connections.
    const env: EnvVar[] = [
      { name: 'POSTGRES_USER', value: username },
      { name: 'POSTGRES_DB', value: database },
      { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: this.passwordSecretName, key } } },
      { name: 'PGDATA', value: POSTGRES_PGDATA },
      ...this.roles.map((r, i): EnvVar => ({ name: `${ROLE_PASSWORD_VAR}${i}`, valueFrom: { secretKeyRef: { name: r.passwordSecretName, key: r.passwordSecretKey } } })),
      ...this.env,
    ];
    if (this.roles.length) {
      this.initScripts = this.object('InitScripts', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${name}-initdb` },
        data: { [POSTGRES_ROLES_SCRIPT]: postgresRolesScript(this.roles.map((r, i) => ({ name: r.name, database: r.database, passwordVar: `${ROLE_PASSWORD_VAR}${i}` }))) },
      });
    }
    const isReady = ['pg_isready', '--host=127.0.0.1', `--port=${POSTGRES_PORT}`, `--username=${username}`, `--dbname=${database}`, '--timeout=5'];
    const containerSecurity = restrictedContainerSecurityContext();
    this.statefulSet = this.object('StatefulSet', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      spec: {
        serviceName: this.service.name,
        replicas: 1,
        updateStrategy: { type: 'RollingUpdate' },
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        template: this.podTemplate({
            containers: [{
              name: 'postgres',
              image,
              ports: [{ name: PORT_NAME, containerPort: POSTGRES_PORT, protocol: 'TCP' }],
              env,
              readinessProbe: { exec: { command: isReady }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 6, failureThreshold: 3 },
              livenessProbe: { exec: { command: isReady }, periodSeconds: 20, timeoutSeconds: 6, failureThreshold: 6 },
              // The first start runs initdb, and a restart after a crash replays WAL: the server
              // does not accept connections for a while, which must not count against liveness.
              startupProbe: { exec: { command: isReady }, periodSeconds: 10, timeoutSeconds: 6, failureThreshold: 60 },
              resources: this.resources,
              securityContext: containerSecurity,
              volumeMounts: [
                { name: 'data', mountPath: DATA_MOUNT },
                { name: 'run', mountPath: '/var/run/postgresql' },
                { name: 'tmp', mountPath: '/tmp' },
                ...(this.initScripts ? [{ name: 'initdb', mountPath: INITDB_DIR, readOnly: true }] : []),
              ],
            }],
            volumes: [
              { name: 'run', emptyDir: { sizeLimit: '16Mi' } },
              { name: 'tmp', emptyDir: {} },
              ...(this.initScripts ? [{ name: 'initdb', configMap: { name: this.initScripts.name, defaultMode: 0o444 } }] : []),
            ],
        }, configHashAnnotations({ env })),
        volumeClaimTemplates: [plainJson(dataClaimTemplate(selector, storageSize, storageClassName))],
      },
    });

    // One pod: maxUnavailable 1 lets a node drain move it (the database is down meanwhile);
    // minAvailable 1 would block every drain of its node forever.
    keepNullCreationTimestamps(this.statefulSet, 1);
    this.podDisruptionBudget = this.onePodAtATime();

    this.admitIngress({ namespace: this.namespace, peers: false });
    for (const client of props.allowFrom ?? []) this.allowFrom(client);
  }

  /**
   * Lets the pods matching `podSelector` connect on 5432 (from `namespace`, or from this
   * database's namespace). Nothing else gets in.
   */
  public allowFrom(podSelector: Record<string, string>, namespace?: string): void {
    super.allowFrom(podSelector, namespace);
  }

  /**
   * Env vars with the connection details (libpq's names unless renamed): as `role` (one of
   * `roles`) on its database, or without it as the superuser (for tools, not applications); the
   * password from the Secret.
   */
  public clientEnv(names: PostgresClientEnvNames = {}, role?: string): EnvVar[] {
    const n = { host: 'PGHOST', port: 'PGPORT', database: 'PGDATABASE', user: 'PGUSER', password: 'PGPASSWORD', ...names };
    for (const v of Object.values(n)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) throw new PropError(this, 'clientEnv', `clientEnv variable ${show(v)} is not a valid environment variable name`);
    }
    const r = role === undefined ? undefined : this.roles.find((x) => x.name === role);
    if (role !== undefined && !r) throw new PropError(this, 'clientEnv', `clientEnv role ${show(role)} is not one of the roles: expected one of ${show(this.roles.map((x) => x.name))}`);
    return [
      { name: n.host, value: this.host },
      { name: n.port, value: String(this.port) },
      { name: n.database, value: r ? r.database : this.database },
      { name: n.user, value: r ? r.name : this.username },
      { name: n.password, valueFrom: { secretKeyRef: r ? { name: r.passwordSecretName, key: r.passwordSecretKey } : { name: this.passwordSecretName, key: this.passwordSecretKey } } },
    ];
  }

  private validateRoles(roles: PostgresRole[] | undefined): Required<PostgresRole>[] {
    if (roles === undefined) return [];
    if (!Array.isArray(roles)) throw new PropError(this, 'roles', `roles ${show(roles)} is not a list of { name, database }`);
    for (const v of this.env) {
      if (v.name.startsWith(ROLE_PASSWORD_VAR)) throw new PropError(this, 'env', `env ${show(v.name)} is set by the construct itself (${ROLE_PASSWORD_VAR}* carry the roles' passwords) and cannot be overridden`);
    }
    const out = roles.map((r) => {
      if (r === null || typeof r !== 'object') throw new PropError(this, 'roles', `roles entry ${show(r)} is not an object: expected { name, database }`);
      if (typeof r.name !== 'string' || !SQL_IDENTIFIER.test(r.name) || r.name.startsWith('pg_')) {
        throw new PropError(this, 'roles', `roles name ${show(r.name)} is not a plain SQL identifier outside pg_* (lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters)`);
      }
      if (r.name === this.username) throw new PropError(this, 'roles', `roles name ${show(r.name)} is the superuser: expected a role of its own for each client`);
      const database = r.database ?? r.name;
      if (typeof database !== 'string' || !SQL_IDENTIFIER.test(database) || ['postgres', 'template0', 'template1'].includes(database)) {
        throw new PropError(this, 'roles', `roles ${r.name} database ${show(database)} is not a client database name (a plain SQL identifier; not postgres, template0 or template1)`);
      }
      const secret = checkDns1123Subdomain(this, 'roles.passwordSecretName', r.passwordSecretName ?? `${this.name}-${r.name}-auth`);
      const key = r.passwordSecretKey ?? 'password';
      if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(key)) {
        throw new PropError(this, 'roles', `roles ${r.name} passwordSecretKey ${show(key)} is not a valid Secret key (letters, digits, '-', '_' and '.')`);
      }
      return { name: r.name, database, passwordSecretName: secret, passwordSecretKey: key };
    });
    out.forEach((r, i) => {
      if (out.findIndex((x) => x.name === r.name) !== i) throw new PropError(this, 'roles', `roles lists ${show(r.name)} twice: expected each role once`);
      if (out.findIndex((x) => x.database === r.database) !== i) throw new PropError(this, 'roles', `roles ${r.name} and ${out.find((x) => x.database === r.database)!.name} share database ${show(r.database)}: expected one role per client database`);
    });
    return out;
  }
}
