/**
 * todo-api's MongoDB settings, from the environment (in Kubernetes: from a Secret, through `envFrom` or
 * `valueFrom.secretKeyRef`). Two ways, checked in this order:
 *
 * - `MONGODB_URI`: a complete connection string, credentials included
 *   (`mongodb://user:pass@mongo-0.mongo:27017,mongo-1.mongo:27017/?replicaSet=rs0&authSource=admin`).
 * - `MONGODB_HOST` (`host`, `host:port` or a comma-separated list of them), with optional
 *   `MONGODB_USERNAME` and `MONGODB_PASSWORD` (both or neither), `MONGODB_REPLICA_SET` and
 *   `MONGODB_AUTH_SOURCE` (default `admin`). The password is handed to the driver as is, never put
 *   into a URL, so it needs no escaping.
 *
 * Either way `MONGODB_DATABASE` names the database (default `todos`) and
 * `MONGODB_SERVER_SELECTION_TIMEOUT` how long a call waits for a usable server (default 10s).
 */
import type { MongoClientOptions } from 'mongodb';
import { parseDuration } from '../grpc/options';

export const DEFAULT_DATABASE = 'todos';
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 10_000;
/** The collection the todos live in. */
export const TODOS_COLLECTION = 'todos';

export interface MongoConfig {
  /** The connection string, without credentials when they came from MONGODB_USERNAME/PASSWORD. */
  readonly uri: string;
  readonly options: MongoClientOptions;
  readonly database: string;
  /** What the logs may show: the hosts and the user, never the password. */
  readonly description: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Reads the settings; throws a message naming the variable when one is missing or malformed. */
export function mongoConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MongoConfig {
  const database = nonEmpty(env.MONGODB_DATABASE) ?? DEFAULT_DATABASE;
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(database)) {
    throw new Error(`MONGODB_DATABASE "${database}" is not a database name: expected 1-63 letters, digits, _ or -`);
  }
  let serverSelectionTimeoutMS = DEFAULT_SERVER_SELECTION_TIMEOUT_MS;
  const timeout = nonEmpty(env.MONGODB_SERVER_SELECTION_TIMEOUT);
  if (timeout !== undefined) {
    try {
      serverSelectionTimeoutMS = parseDuration(timeout);
    } catch (err) {
      throw new Error(`MONGODB_SERVER_SELECTION_TIMEOUT: ${(err as Error).message}`);
    }
  }
  const options: MongoClientOptions = { serverSelectionTimeoutMS, appName: 'todo-api' };

  const uri = nonEmpty(env.MONGODB_URI);
  if (uri !== undefined) {
    const parsed = /^(mongodb(?:\+srv)?:\/\/)(?:([^@/]*)@)?([^/?]+)/.exec(uri);
    if (!parsed) throw new Error('MONGODB_URI is not a connection string: expected mongodb://[user:password@]host[:port][,...][/db][?options]');
    const user = parsed[2] ? decodeURIComponent(parsed[2].split(':')[0]) : undefined;
    return { uri, options, database, description: `${parsed[1]}${user ? `${user}@` : ''}${parsed[3]}` };
  }

  const hosts = nonEmpty(env.MONGODB_HOST);
  if (hosts === undefined) {
    throw new Error('no MongoDB configured: set MONGODB_URI, or MONGODB_HOST (with MONGODB_USERNAME and MONGODB_PASSWORD when the server requires authentication)');
  }
  for (const host of hosts.split(',')) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host.trim())) {
      throw new Error(`MONGODB_HOST "${hosts}" is not a host list: expected host, host:port or a comma-separated list of them`);
    }
  }
  const username = nonEmpty(env.MONGODB_USERNAME);
  const password = env.MONGODB_PASSWORD ? env.MONGODB_PASSWORD : undefined;
  if ((username === undefined) !== (password === undefined)) {
    throw new Error(`MONGODB_USERNAME and MONGODB_PASSWORD go together: only ${username === undefined ? 'MONGODB_PASSWORD' : 'MONGODB_USERNAME'} is set`);
  }
  const query = new URLSearchParams();
  const replicaSet = nonEmpty(env.MONGODB_REPLICA_SET);
  if (replicaSet) query.set('replicaSet', replicaSet);
  const list = hosts.split(',').map((h) => h.trim()).join(',');
  const full: MongoClientOptions = { ...options };
  if (username !== undefined) {
    full.auth = { username, password };
    full.authSource = nonEmpty(env.MONGODB_AUTH_SOURCE) ?? 'admin';
  }
  const q = query.toString();
  return {
    uri: `mongodb://${list}/${q ? `?${q}` : ''}`,
    options: full,
    database,
    description: `mongodb://${username ? `${username}@` : ''}${list}`,
  };
}
