/**
 * Environments: `envs/<name>.env` (dotenv syntax) parsed and validated into a typed, frozen
 * `Environment`. Adding a file adds an environment; every key is declared once, in `ENV_KEYS`.
 *
 * Secrets never live here: constructs reference Secrets by name and the README says how to create them.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as dotenv from 'dotenv';

export type ServiceType = 'ClusterIP' | 'LoadBalancer' | 'NodePort' | 'Headless';
export type NodeKind = 'preemptible' | 'spot';

export interface Quotas {
  /** GCE forwarding rules (one per LoadBalancer Service). */
  readonly forwardingRules: number;
  /** GCE target pools (one per LoadBalancer Service). */
  readonly targetPools: number;
  /** GCE firewall rules (one per LoadBalancer Service). */
  readonly firewalls: number;
  /** vCPUs (the sum of CPU requests over all replicas). */
  readonly cpus: number;
  /** Persistent disk in GB (the sum of volume claims over all replicas). */
  readonly diskGb: number;
}

export interface Environment {
  /** The environment's name: the env file's base name (`prod` for `envs/prod.env`). */
  readonly name: string;
  /** The env file, relative to the project (`envs/prod.env`). */
  readonly file: string;
  /** Container image registry and tag shared by the project's own images. */
  readonly images: { readonly registry: string; readonly tag: string };
  readonly fourhundred: {
    readonly fleetSize: number;
    readonly serviceType: ServiceType;
    /** Cloud Endpoints service of the extra Endpoints-fronted `grpc-server`; absent: no such server. */
    readonly endpointsService?: string;
  };
  readonly preemptible: {
    /** Which kind of discount node the preemptible chart's workloads run on. */
    readonly nodeKind: NodeKind;
  };
  readonly quotas: Quotas;
}

type KeyType =
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'dns1123-subdomain' }
  | { readonly kind: 'image-registry' }
  | { readonly kind: 'image-tag' };

export interface EnvKey {
  readonly name: string;
  readonly type: KeyType;
  /** Absent: the key is required. */
  readonly default?: string;
  /** Present and true: the key may be left out, and then has no value. */
  readonly optional?: boolean;
  readonly doc: string;
}

const INT_MAX = 1_000_000;

/** Every key an env file may hold. The README's table is checked against this list. */
export const ENV_KEYS: readonly EnvKey[] = [
  { name: 'IMAGE_REGISTRY', type: { kind: 'image-registry' }, doc: 'Registry (and path) of the project\'s own images, e.g. `gcr.io/my-project`.' },
  { name: 'IMAGE_TAG', type: { kind: 'image-tag' }, doc: 'Tag of the project\'s own images, e.g. `1.4.2`. Pin a release; never `latest` in prod.' },
  { name: 'FOURHUNDRED_FLEET_SIZE', type: { kind: 'int', min: 0, max: 10_000 }, doc: 'How many whoami gRPC services the fourhundred chart runs.' },
  { name: 'FOURHUNDRED_SERVICE_TYPE', type: { kind: 'enum', values: ['ClusterIP', 'LoadBalancer', 'NodePort', 'Headless'] }, default: 'ClusterIP', doc: 'How each whoami service is exposed.' },
  { name: 'FOURHUNDRED_ENDPOINTS_SERVICE', type: { kind: 'dns1123-subdomain' }, optional: true, doc: 'Cloud Endpoints service name; when set, the chart adds the Endpoints-fronted `grpc-server` (the article\'s 401st load balancer).' },
  { name: 'PREEMPTIBLE_NODE_KIND', type: { kind: 'enum', values: ['preemptible', 'spot'] }, default: 'spot', doc: 'Whether the preemptible chart targets GKE preemptible or spot nodes.' },
  { name: 'QUOTA_FORWARDING_RULES', type: { kind: 'int', min: 0, max: INT_MAX }, doc: 'GCE forwarding rules quota (one per LoadBalancer Service).' },
  { name: 'QUOTA_TARGET_POOLS', type: { kind: 'int', min: 0, max: INT_MAX }, doc: 'GCE target pools quota (one per LoadBalancer Service).' },
  { name: 'QUOTA_FIREWALLS', type: { kind: 'int', min: 0, max: INT_MAX }, doc: 'GCE firewall rules quota (one per LoadBalancer Service).' },
  { name: 'QUOTA_CPUS', type: { kind: 'int', min: 0, max: INT_MAX }, doc: 'vCPU quota, compared with the CPU requests of all replicas.' },
  { name: 'QUOTA_DISK_GB', type: { kind: 'int', min: 0, max: INT_MAX }, doc: 'Persistent disk quota in GB, compared with all volume claims.' },
];

/** One bad value (or line) of an env file. */
export interface EnvProblem {
  readonly file: string;
  /** 1-based; 0 when the problem is the absence of a key. */
  readonly line: number;
  readonly key?: string;
  readonly message: string;
}

/** All problems of one env file, reported together. */
export class EnvError extends Error {
  constructor(public readonly problems: readonly EnvProblem[]) {
    super(problems.map((p) => (p.line ? `${p.file}:${p.line}: ${p.message}` : `${p.file}: ${p.message}`)).join('\n'));
    this.name = 'EnvError';
  }
}

const ENV_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// registry host[:port] followed by lowercase path components (the distribution reference grammar).
const IMAGE_REGISTRY = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/;

function expected(type: KeyType): string {
  switch (type.kind) {
    case 'int': return `an integer in range ${type.min}-${type.max}`;
    case 'enum': return `one of ${type.values.join(', ')}`;
    case 'dns1123-subdomain': return 'a DNS-1123 subdomain (lowercase letters, digits, \'-\' and \'.\')';
    case 'image-registry': return 'an image registry such as gcr.io/my-project (no tag, no trailing \'/\')';
    case 'image-tag': return 'an image tag (letters, digits, \'_\', \'.\', \'-\'; at most 128 characters)';
  }
}

function check(type: KeyType, value: string): string | number | undefined {
  switch (type.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(value)) return undefined;
      const n = Number(value);
      return Number.isSafeInteger(n) && n >= type.min && n <= type.max ? n : undefined;
    }
    case 'enum': return type.values.includes(value) ? value : undefined;
    case 'dns1123-subdomain': return DNS_SUBDOMAIN.test(value) ? value : undefined;
    case 'image-registry': return IMAGE_REGISTRY.test(value) ? value : undefined;
    case 'image-tag': return IMAGE_TAG.test(value) ? value : undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses and validates the text of one env file. `file` is how messages name it.
 * Throws `EnvError` listing every problem of the file.
 */
export function parseEnvironment(name: string, file: string, text: string): Environment {
  const problems: EnvProblem[] = [];
  const problem = (line: number, message: string, key?: string) => problems.push({ file, line, key, message });
  if (!ENV_NAME.test(name) || name.length > 63) {
    problem(0, `environment name ${JSON.stringify(name)} (from the file name) is not a valid DNS-1123 label: expected lowercase letters, digits and '-'`);
  }

  // dotenv gives the values; the scan below gives each key's line and catches what dotenv would
  // silently skip (lines that are not assignments, keys given twice).
  const values = dotenv.parse(text);
  const lineOf = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = ASSIGNMENT.exec(raw);
    if (!m) {
      problem(i + 1, `${JSON.stringify(line)} is not a KEY=value line`);
      return;
    }
    const key = m[1];
    if (lineOf.has(key)) problem(i + 1, `${key} is set twice (first on line ${lineOf.get(key)})`, key);
    else lineOf.set(key, i + 1);
  });

  const known = new Map(ENV_KEYS.map((k) => [k.name, k]));
  for (const [key, line] of lineOf) {
    if (!known.has(key)) {
      problem(line, `unknown key ${key}: expected one of ${ENV_KEYS.map((k) => k.name).join(', ')}`, key);
    }
  }

  const got: Record<string, string | number | undefined> = {};
  for (const key of ENV_KEYS) {
    const line = lineOf.get(key.name);
    const raw = line !== undefined ? values[key.name] : undefined;
    if (raw === undefined || raw === '') {
      if (key.default !== undefined) got[key.name] = check(key.type, key.default);
      else if (!key.optional) problem(line ?? 0, `${key.name} is missing: expected ${expected(key.type)}`, key.name);
      continue;
    }
    const value = check(key.type, raw);
    if (value === undefined) {
      let why = '';
      if (key.type.kind === 'int' && /^-?\d+$/.test(raw)) why = ' is out of range';
      else if (key.type.kind === 'int') why = ' is not an integer';
      problem(line!, `${key.name}=${JSON.stringify(raw)}${why || ' is invalid'}: expected ${expected(key.type)}`, key.name);
    } else {
      got[key.name] = value;
    }
  }
  if (problems.length) throw new EnvError(problems);

  return deepFreeze<Environment>({
    name,
    file,
    images: { registry: got.IMAGE_REGISTRY as string, tag: got.IMAGE_TAG as string },
    fourhundred: {
      fleetSize: got.FOURHUNDRED_FLEET_SIZE as number,
      serviceType: got.FOURHUNDRED_SERVICE_TYPE as ServiceType,
      ...(got.FOURHUNDRED_ENDPOINTS_SERVICE !== undefined ? { endpointsService: got.FOURHUNDRED_ENDPOINTS_SERVICE as string } : {}),
    },
    preemptible: { nodeKind: got.PREEMPTIBLE_NODE_KIND as NodeKind },
    quotas: {
      forwardingRules: got.QUOTA_FORWARDING_RULES as number,
      targetPools: got.QUOTA_TARGET_POOLS as number,
      firewalls: got.QUOTA_FIREWALLS as number,
      cpus: got.QUOTA_CPUS as number,
      diskGb: got.QUOTA_DISK_GB as number,
    },
  });
}

/** Reads one env file. `root` is the project folder messages are relative to. */
export function loadEnvironment(file: string, root: string = process.cwd()): Environment {
  const rel = path.relative(root, path.resolve(root, file)) || file;
  return parseEnvironment(path.basename(file, '.env'), rel.split(path.sep).join('/'), fs.readFileSync(path.resolve(root, file), 'utf8'));
}

/**
 * Every environment in `envsDir` (every `*.env` file), sorted by name. Problems of all files are
 * reported together.
 */
export function loadEnvironments(envsDir: string, root: string = process.cwd()): Environment[] {
  const dir = path.resolve(root, envsDir);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.env')).sort();
  if (files.length === 0) throw new EnvError([{ file: path.relative(root, dir) || envsDir, line: 0, message: 'no *.env files: expected at least one environment' }]);
  const envs: Environment[] = [];
  const problems: EnvProblem[] = [];
  for (const f of files) {
    try {
      envs.push(loadEnvironment(path.join(dir, f), root));
    } catch (e) {
      if (e instanceof EnvError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new EnvError(problems);
  return envs;
}
