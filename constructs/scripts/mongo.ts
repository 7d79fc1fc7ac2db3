import { MONGO_ENTRYPOINT_SH, MONGO_INIT_JS } from './embedded';

/** What the init step needs to know; rendered as JSON at the top of the script. */
export interface MongoInitConfig {
  readonly setName: string;
  /** `host:port` of every member, index = ordinal. */
  readonly hosts: readonly string[];
  /** How the step reaches its own mongod (the localhost exception needs a loopback connection). */
  readonly localUri: string;
  /** Query string appended to `mongodb://<host>/` to reach a peer. */
  readonly peerOptions: string;
  readonly adminUser: string;
  /** Env var holding the admin password. */
  readonly passwordVar: string;
  readonly intervalMs: number;
  /**
   * The client users to create or update once the admin user exists: `user` on database `db`
   * with readWrite on it, the password from env var `passwordVar`. @default none
   */
  readonly users?: readonly { readonly user: string; readonly db: string; readonly passwordVar: string }[];
  /** Query string appended to `mongodb://<admin>@<every member>/` to reach the primary. */
  readonly setOptions?: string;
  /** The step gives up (exit 1, logged) after this long; a pod restart runs it again. */
  readonly timeoutMs: number;
}

/**
 * The init step (scripts/mongo-init.js), a mongosh script (`mongosh --nodb --file`). Everything
 * but the last lines is plain JavaScript with no shell API, so tests run it under node against a
 * fake server: in node, define `MEGA8S_EXPORTS = {}` to get the functions instead of running it.
 *
 * Every member runs it next to mongod, on every start:
 * - it reads its own state with `rs.status()` (replSetGetStatus) over the loopback interface;
 * - `Unauthorized`: the admin user exists, so the set was initiated long ago: nothing to do;
 * - `NotYetInitialized`: only member 0 acts, and only when every other member answers `hello` and
 *   none of them already belongs to a replica set; then it runs `rs.initiate` with every member's
 *   stable DNS name. A member 0 that lost its disk therefore never initiates a second set next to
 *   the existing one: the set still lists it and takes it back (initial sync);
 * - the set answers and this member is primary: it creates the admin user through the localhost
 *   exception (which closes as soon as that user exists). Whichever member is primary first does
 *   it; `UserAlreadyExists` and `Unauthorized` mean another one did;
 * - anything else (mongod not up yet, no primary yet, a peer not up): wait and look again.
 */
export const MONGO_INIT_SCRIPT_BODY = MONGO_INIT_JS;

/** The complete init script for one replica set: its config as JSON, then the body. */
export function mongoInitScript(config: MongoInitConfig): string {
  return `// mega8s: initiates replica set ${config.setName} and creates its admin user, idempotently.\n`
    + `var MEGA8S_CONFIG = ${JSON.stringify(config)};\n`
    + MONGO_INIT_SCRIPT_BODY;
}

/** Where the member entrypoint runs the init step from: the Scripts ConfigMap's mount. */
export const MONGO_INIT_SCRIPT_PATH = '/etc/mongo-scripts/init-replica-set.js';

/**
 * The container's entrypoint (scripts/mongo-entrypoint.sh): mongod (the container args) in the
 * background, the init step (from MONGO_INIT_SCRIPT_PATH) next to it, and the shell passing
 * SIGTERM on to mongod, whose exit status it returns.
 */
export const MONGO_MEMBER_SCRIPT = MONGO_ENTRYPOINT_SH;
