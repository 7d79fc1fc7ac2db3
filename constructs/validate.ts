import { IConstruct } from 'constructs';

/**
 * The error every mega8s construct throws for a bad prop.
 *
 * The message reads `<construct path>: <prop> <value> <what was wrong>`, lowercase, for example
 * `fourhundred/service-007: port 70000 is out of range 1-65535`.
 */
export class PropError extends Error {
  /** Path of the construct that rejected the prop. */
  public readonly constructPath: string;
  /** Name of the prop that was rejected. */
  public readonly prop: string;

  constructor(scope: IConstruct, prop: string, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = 'PropError';
    this.constructPath = scope.node.path;
    this.prop = prop;
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;

/**
 * Renders a value for an error message as it was written: strings quoted, numbers as JavaScript
 * writes them (`NaN`, `Infinity`, `-0`), `undefined`, functions and class instances by name,
 * everything else as JSON.
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return String(value);
  if (value !== null && typeof value === 'object' && value.constructor !== Object && !Array.isArray(value)) {
    return `a ${value.constructor?.name ?? 'non-plain'} object`;
  }
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** True when `value` is a DNS-1123 label (a Kubernetes object name that must fit in one DNS label). */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** True when `value` is a DNS-1123 subdomain (most Kubernetes object names). */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/** True when `value` parses as a Kubernetes resource quantity (`10Gi`, `250m`, `1.5`). */
export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}

export function checkDns1123Label(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || !isDns1123Label(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not a valid DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`);
  }
  return value;
}

export function checkDns1123Subdomain(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || !isDns1123Subdomain(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not a valid DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)`);
  }
  return value;
}

export function checkInteger(scope: IConstruct, prop: string, value: number, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `in range ${min}-${max}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not an integer: expected an integer ${range}`);
  }
  if (!Number.isSafeInteger(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is beyond the integers JavaScript holds exactly (2^53 - 1): expected an integer ${range}`);
  }
  if (value < min || value > max) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is out of range: expected ${range}`);
  }
  return value;
}

export function checkPort(scope: IConstruct, prop: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not an integer: expected a port number in range 1-65535`);
  }
  if (value < 1 || value > 65535) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is out of range 1-65535`);
  }
  return value;
}

/** Largest uid/gid Kubernetes accepts (int32); 0 is root and refused. */
export const MAX_ID = 2147483647;

/** A user or group id a restricted pod may run as: an integer 1-2147483647 (never 0, root). */
export function checkUid(scope: IConstruct, prop: string, value: number): number {
  if (value === 0) {
    throw new PropError(scope, prop, `${prop} 0 is root: expected a non-root id in range 1-${MAX_ID} (Pod Security "restricted" refuses root)`);
  }
  return checkInteger(scope, prop, value, 1, MAX_ID);
}

export function checkQuantity(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || !isQuantity(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not a kubernetes quantity (for example 10Gi, 500Mi, 250m)`);
  }
  if (value.startsWith('-')) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is negative: expected a quantity of at least 0`);
  }
  return value;
}

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The numeric value of a valid quantity (`250m` -> 0.25, `1Gi` -> 1073741824), for comparisons. */
export function quantityValue(value: string): number {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(value);
  if (!m) return NaN;
  const suffix = m[2] ?? '';
  if (/^[eE]/.test(suffix)) return Number(m[1] + suffix);
  return Number(m[1]) * SUFFIX[suffix];
}

export function checkNonEmpty(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new PropError(scope, prop, `${prop} ${show(value)} is empty: expected a non-empty string`);
  }
  return value;
}

/** A container image reference: non-empty, no white space. */
export function checkImage(scope: IConstruct, prop: string, value: string): string {
  checkNonEmpty(scope, prop, value);
  if (/\s/.test(value) || /[^\x21-\x7e]/.test(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} contains white space or non-ASCII characters: expected an image reference such as gcr.io/project/app:1.0`);
  }
  return value;
}

/**
 * The namespaces Kubernetes itself creates and owns, which a mega8s construct must never create or
 * take over. Other `kube-` names (kube-alive, the demo's own namespace) are the project's to use.
 */
export const RESERVED_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function isReservedNamespace(name: string): boolean {
  return RESERVED_NAMESPACES.includes(name);
}

/** A namespace name a construct may create: a DNS-1123 label, none of `RESERVED_NAMESPACES`. */
export function checkNamespaceName(scope: IConstruct, prop: string, value: string): string {
  checkDns1123Label(scope, prop, value);
  if (isReservedNamespace(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is reserved for Kubernetes itself: expected a namespace of the project's own (not ${RESERVED_NAMESPACES.join(', ')})`);
  }
  return value;
}

/** ClusterRoles Kubernetes makes and reconciles: a construct must never overwrite one. */
export const BUILT_IN_CLUSTER_ROLES: readonly string[] = ['admin', 'edit', 'view', 'cluster-admin'];

/** A ClusterRole (or ClusterRoleBinding) name of the project's own. */
export function checkClusterRoleName(scope: IConstruct, prop: string, value: string): string {
  if (typeof value === 'string' && (BUILT_IN_CLUSTER_ROLES.includes(value) || value.startsWith('system:'))) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is a name Kubernetes reserves for its built-in roles (admin, edit, view, cluster-admin, system:*): expected a role name of the project's own`);
  }
  return checkDns1123Subdomain(scope, prop, value);
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** An environment variable name as Kubernetes accepts it. */
export function checkEnvName(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || !ENV_NAME.test(value)) {
    throw new PropError(scope, prop, `${prop} name ${show(value)} is not a valid environment variable name (letters, digits, '_', '-' and '.', not starting with a digit)`);
  }
  return value;
}


export function checkOneOf<T extends string>(scope: IConstruct, prop: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not one of ${allowed.join(', ')}`);
  }
  return value;
}

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** True when `key` is a qualified Kubernetes label, annotation or taint key (`prefix/name` or `name`). */
export function isQualifiedKey(key: string): boolean {
  if (typeof key !== 'string') return false;
  const slash = key.indexOf('/');
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

export function checkQualifiedKey(scope: IConstruct, prop: string, key: string): string {
  if (!isQualifiedKey(key)) {
    throw new PropError(scope, prop, `${prop} ${show(key)} is not a valid label key (an optional DNS-1123 subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
  }
  return key;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True when `value` is a valid label value (at most 63 of `[A-Za-z0-9_.-]`, alphanumeric at both ends, or empty). */
export function isLabelValue(value: string): boolean {
  return typeof value === 'string' && value.length <= 63 && LABEL_VALUE.test(value);
}

/** A single label value such as `partOf` or `component` (non-empty). */
export function checkLabelValue(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || value === '' || !isLabelValue(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not a valid label value (1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
  }
  return value;
}

/** Validates every key (qualified) and value (a string) of an annotation map; returns it. */
export function checkAnnotations(scope: IConstruct, prop: string, annotations: Record<string, string> | undefined): Record<string, string> | undefined {
  if (annotations === undefined) return undefined;
  if (annotations === null || typeof annotations !== 'object' || Array.isArray(annotations)) {
    throw new PropError(scope, prop, `${prop} ${show(annotations)} is not a map of annotation keys to string values`);
  }
  for (const [key, value] of Object.entries(annotations)) {
    if (!isQualifiedKey(key)) {
      throw new PropError(scope, prop, `${prop} key ${show(key)} is not a valid annotation key (an optional DNS-1123 subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
    }
    if (typeof value !== 'string') throw new PropError(scope, prop, `${prop} ${key}=${show(value)} is not a string: expected a string annotation value`);
  }
  return annotations;
}

/** Validates every key and value of a label map (errors name `prop`); returns it. */
export function checkLabels(scope: IConstruct, prop: string, labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (labels === undefined) return undefined;
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    throw new PropError(scope, prop, `${prop} ${show(labels)} is not a map of label keys to label values`);
  }
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!isQualifiedKey(key)) {
      throw new PropError(scope, prop, `${prop} key ${show(key)} is not a valid label key (an optional DNS-1123 subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
    }
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      throw new PropError(scope, prop, `${prop} ${key}=${show(value)} is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
    }
  }
  return labels;
}
