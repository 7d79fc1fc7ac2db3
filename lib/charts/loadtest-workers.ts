/**
 * Who the loadtest chart's Locust workers are, for the charts whose systems they load (a module of
 * its own so that those charts and the loadtest chart do not import each other).
 */
export const LOADTEST_NAMESPACE = 'loadtest';

/** What a load test of the loadtest chart targets. */
export const LOADTEST_TARGETS = ['whoami', 'todo-api'] as const;
export type LoadTestTarget = typeof LOADTEST_TARGETS[number];

/** The name of the load test of `target` (its objects are `<name>-master`, `<name>-worker`, …). */
export function loadTestName(target: LoadTestTarget): string {
  return `locust-${target}`;
}

/**
 * The labels of the worker pods that load `target`: what the target admits with
 * `allowFrom(loadTestWorkerLabels(target), LOADTEST_NAMESPACE)`. Equal to the `workerSelector` of
 * the loadtest chart's `LocustLoadTest` (a test proves it).
 */
export function loadTestWorkerLabels(target: LoadTestTarget): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'locust',
    'app.kubernetes.io/instance': loadTestName(target),
    'app.kubernetes.io/component': 'worker',
  };
}
