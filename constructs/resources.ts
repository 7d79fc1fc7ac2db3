import { IConstruct } from 'constructs';
import { storedQuantity } from './quantity';
import { PropError, checkQuantity, show } from './validate';

/** CPU and memory amounts as Kubernetes quantities (`250m`, `128Mi`). */
export interface ResourceAmounts {
  readonly cpu?: string;
  readonly memory?: string;
}

/**
 * A container's resources in Kubernetes' own words. Fields left out take the construct's
 * documented defaults; there is no way to leave a container without requests.
 */
export interface Resources {
  readonly requests?: ResourceAmounts;
  readonly limits?: ResourceAmounts;
}

/** A container's resources as plain Kubernetes JSON. */
export interface ResourceRequirementsJson {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/**
 * Merges `given` over `defaults` field by field and validates every quantity (errors name `prop`);
 * quantities come out in the form the API server stores (`storedQuantity`: `0.5` -> `500m`).
 */
export function mergeResources(scope: IConstruct, prop: string, given: Resources | undefined, defaults: Resources): ResourceRequirementsJson {
  const render = (kind: 'requests' | 'limits') => {
    const part = given?.[kind];
    if (part !== undefined && (part === null || typeof part !== 'object' || Array.isArray(part))) {
      throw new PropError(scope, `${prop}.${kind}`, `${prop}.${kind} ${show(part)} is not an object: expected { cpu, memory }`);
    }
    const merged = { ...defaults[kind], ...part };
    const out: { cpu?: string; memory?: string } = {};
    for (const key of ['cpu', 'memory'] as const) {
      const value = merged[key];
      if (value !== undefined) out[key] = storedQuantity(checkQuantity(scope, `${prop}.${kind}.${key}`, value), true);
    }
    return Object.keys(out).length ? out : undefined;
  };
  const requests = render('requests');
  const limits = render('limits');
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}
