import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { checkQuantity } from './validate';

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

/**
 * Merges `given` over `defaults`, validates every quantity (errors name `prop`), and renders the
 * L1 `ResourceRequirements`.
 */
export function resolveResources(scope: IConstruct, prop: string, given: Resources | undefined, defaults: Resources): kplus.k8s.ResourceRequirements {
  const render = (kind: 'requests' | 'limits'): Record<string, kplus.k8s.Quantity> | undefined => {
    const merged = { ...defaults[kind], ...given?.[kind] };
    const out: Record<string, kplus.k8s.Quantity> = {};
    for (const key of ['cpu', 'memory'] as const) {
      const value = merged[key];
      if (value === undefined) continue;
      out[key] = kplus.k8s.Quantity.fromString(checkQuantity(scope, `${prop}.${kind}.${key}`, value));
    }
    return Object.keys(out).length ? out : undefined;
  };
  const requests = render('requests');
  const limits = render('limits');
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}
