/**
 * The library's checks (constructs/checks) as the synth runs them for one environment: the quota
 * limits come from the env file, messages name the environment and the env key of each quota.
 */
import {
  ApplySet, CheckOptions, CheckRule, Problem, SynthObject, applySetFor, applySetProblems, checkObjects as checkOutput,
  formatProblem as format, quotaUse,
} from '../../constructs/checks';
import { Environment, Quotas } from '../env';

/** The env key that declares each quota. */
export const QUOTA_KEYS: Readonly<Record<keyof Quotas, string>> = {
  forwardingRules: 'QUOTA_FORWARDING_RULES',
  targetPools: 'QUOTA_TARGET_POOLS',
  firewalls: 'QUOTA_FIREWALLS',
  cpus: 'QUOTA_CPUS',
  diskGb: 'QUOTA_DISK_GB',
};

export function checkOptions(env: Environment): CheckOptions {
  return { quotas: env.quotas, quotaSource: env.file, quotaNames: QUOTA_KEYS };
}

/**
 * The ApplySet of one environment: a cluster-scoped parent `mega8s-<env>` listing every kind and
 * namespace of the output, so that a pruning apply deletes what the synth no longer makes.
 */
export function environmentApplySet(env: Environment, objects: readonly SynthObject[]): ApplySet {
  return applySetFor(`mega8s-${env.name}`, objects);
}

/** Runs every check over one environment's output, including that every object is in its ApplySet. */
export function checkObjects(env: Environment, objects: readonly SynthObject[], applySet: ApplySet = environmentApplySet(env, objects)): Problem[] {
  return [
    ...checkOutput(objects, checkOptions(env)),
    ...applySetProblems(objects, applySet).map((p) => ({ rule: CheckRule.APPLYSET, ...p })),
  ];
}

export function formatProblem(env: Environment, p: Problem): string {
  return `${env.name}: ${format(p)}`;
}

/** What the environment's output consumes of each quota its env file declares. */
export function environmentQuotaUse(env: Environment, objects: readonly SynthObject[]) {
  return quotaUse(objects, { limits: env.quotas, source: env.file, names: QUOTA_KEYS });
}
