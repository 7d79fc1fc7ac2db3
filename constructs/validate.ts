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

/** Renders a value for an error message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
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
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not an integer`);
  }
  if (value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `in range ${min}-${max}`;
    throw new PropError(scope, prop, `${prop} ${value} is out of range: expected ${range}`);
  }
  return value;
}

export function checkPort(scope: IConstruct, prop: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is out of range 1-65535`);
  }
  return value;
}

export function checkQuantity(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || !isQuantity(value)) {
    throw new PropError(scope, prop, `${prop} ${show(value)} is not a kubernetes quantity (for example 10Gi, 500Mi, 250m)`);
  }
  return value;
}

export function checkNonEmpty(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new PropError(scope, prop, `${prop} ${show(value)} is empty: expected a non-empty string`);
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

/** Validates every key and value of a label map (errors name `prop`); returns it. */
export function checkLabels(scope: IConstruct, prop: string, labels: Record<string, string> | undefined): Record<string, string> | undefined {
  for (const [key, value] of Object.entries(labels ?? {})) {
    checkQualifiedKey(scope, `${prop} key`, key);
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      throw new PropError(scope, prop, `${prop} ${key}=${show(value)} is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
    }
  }
  return labels;
}
