import { z } from 'zod';
import { cidrProblem } from '../../constructs/service-type';
import { SettingType } from '../env';

/**
 * A comma-separated list of CIDRs (`203.0.113.0/24,2001:db8::/32`), each in network-address form
 * and listed once: the `loadBalancerSourceRanges` of a chart's LoadBalancer Services.
 */
export function cidrList(): SettingType<string[]> {
  return {
    schema: z.string()
      .transform((text) => text.split(',').map((s) => s.trim()))
      .pipe(z.array(z.string())
        .min(1)
        .refine((list) => list.every((c) => cidrProblem(c) === undefined), { message: 'is not a list of CIDRs' })
        .refine((list) => new Set(list).size === list.length, { message: 'lists a range twice' })),
    expected: 'comma-separated CIDRs in network-address form, such as 203.0.113.0/24,198.51.100.0/24',
    label: 'comma-separated CIDRs',
  };
}
