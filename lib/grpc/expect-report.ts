/**
 * Jest assertions shared by the load tests: the invariants every load report keeps, whatever
 * happened during the run (dead targets, interruptions).
 */
import { LoadReport } from './stats';

const sum = (values: Record<string, number>): number => Object.values(values).reduce((a, b) => a + b, 0);

export function expectConsistentReport(report: LoadReport): void {
  expect(report.requests).toBe(report.successes + report.failures);
  expect(report.requests).toBe(report.perTarget.reduce((n, t) => n + t.requests, 0));
  expect(report.failures).toBe(report.perTarget.reduce((n, t) => n + t.failures, 0));
  expect(report.failures).toBe(sum(report.failuresByStatus));
  expect(report.successes).toBe(sum(report.pods));
  expect(report.distinctPods).toBe(Object.keys(report.pods).length);
  expect(report.failureRatio).toBe(report.requests ? report.failures / report.requests : 0);
  for (const t of report.perTarget) {
    expect(t.requests).toBe(t.successes + t.failures);
    expect(t.failures).toBe(sum(t.failuresByStatus));
  }
  const l = report.latencyMs;
  if (report.successes === 0) {
    expect(l).toBeNull();
    return;
  }
  expect(l).not.toBeNull();
  expect(l!.min).toBeGreaterThan(0);
  expect(l!.min).toBeLessThanOrEqual(l!.p50);
  expect(l!.p50).toBeLessThanOrEqual(l!.p95);
  expect(l!.p95).toBeLessThanOrEqual(l!.p99);
  expect(l!.p99).toBeLessThanOrEqual(l!.max);
  expect(l!.avg).toBeLessThanOrEqual(l!.max);
}
