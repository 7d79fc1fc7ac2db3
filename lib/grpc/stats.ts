/**
 * What a load run measured, per target and in aggregate: calls, failures by gRPC status, latency of the
 * answered calls (HDR histograms, microsecond resolution) and which pods answered; printed as a
 * Locust-style table or as one JSON object.
 */
import * as hdr from 'hdr-histogram-js';

/** Latencies of answered calls, in milliseconds. */
export interface LatencySummary {
  readonly avg: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface TargetReport {
  readonly target: string;
  readonly requests: number;
  readonly successes: number;
  readonly failures: number;
  /** Failed calls by gRPC status name (`UNAVAILABLE`, `DEADLINE_EXCEEDED`, …). */
  readonly failuresByStatus: Readonly<Record<string, number>>;
  readonly requestsPerSecond: number;
  /** Null when no call was answered. */
  readonly latencyMs: LatencySummary | null;
}

export interface LoadReport {
  readonly durationSeconds: number;
  readonly concurrency: number;
  readonly targets: number;
  readonly requests: number;
  readonly successes: number;
  readonly failures: number;
  /** failures / requests (0 when nothing was sent). */
  readonly failureRatio: number;
  readonly failuresByStatus: Readonly<Record<string, number>>;
  readonly requestsPerSecond: number;
  readonly latencyMs: LatencySummary | null;
  /** How many distinct pods answered. */
  readonly distinctPods: number;
  /** Answers per pod (`namespace/pod`, or the pod name when the server reports no namespace). */
  readonly pods: Readonly<Record<string, number>>;
  readonly perTarget: readonly TargetReport[];
  /** True when the run was stopped (Ctrl-C) before its bound. */
  readonly interrupted: boolean;
}

/** Microseconds: up to an hour is tracked exactly to 3 significant digits; longer values resize the histogram. */
function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3, useWebAssembly: false,
  });
}

const ms = (us: number): number => Math.round(us) / 1000;

function summarize(h: hdr.Histogram): LatencySummary | null {
  if (h.totalCount === 0) return null;
  // A percentile is the upper edge of its bucket, which can lie above the largest value recorded:
  // clamp it to that value (the true percentile cannot exceed the maximum).
  const max = h.maxValue;
  const at = (percentile: number): number => ms(Math.min(h.getValueAtPercentile(percentile), max));
  return { avg: Math.round(h.mean) / 1000, min: ms(h.minNonZeroValue), p50: at(50), p95: at(95), p99: at(99), max: ms(max) };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

class TargetStats {
  requests = 0;
  failures = 0;
  readonly failuresByStatus = new Map<string, number>();
  readonly histogram = newHistogram();
}

function sortedRecord(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** Accumulates the calls of one load run. */
export class LoadStats {
  private readonly perTarget = new Map<string, TargetStats>();
  private readonly pods = new Map<string, number>();
  private readonly startedNs = process.hrtime.bigint();
  private endedNs: bigint | undefined;

  constructor(targets: readonly string[], private readonly concurrency: number) {
    for (const target of targets) this.perTarget.set(target, new TargetStats());
  }

  private statsOf(target: string): TargetStats {
    let stats = this.perTarget.get(target);
    if (!stats) {
      stats = new TargetStats();
      this.perTarget.set(target, stats);
    }
    return stats;
  }

  /** An answered call, `latencyUs` long, served by `pod`. */
  recordSuccess(target: string, latencyUs: number, pod: string): void {
    const stats = this.statsOf(target);
    stats.requests++;
    stats.histogram.recordValue(Math.max(1, Math.round(latencyUs)));
    this.pods.set(pod, (this.pods.get(pod) ?? 0) + 1);
  }

  /** A failed call, with its gRPC status name. */
  recordFailure(target: string, status: string): void {
    const stats = this.statsOf(target);
    stats.requests++;
    stats.failures++;
    stats.failuresByStatus.set(status, (stats.failuresByStatus.get(status) ?? 0) + 1);
  }

  /** Freezes the clock: later reports use the run's end as their end. */
  finish(): void {
    this.endedNs ??= process.hrtime.bigint();
  }

  report(interrupted = false): LoadReport {
    const seconds = Number((this.endedNs ?? process.hrtime.bigint()) - this.startedNs) / 1e9;
    const rate = (n: number): number => (seconds > 0 ? round(n / seconds, 1) : 0);
    const all = newHistogram();
    const byStatus = new Map<string, number>();
    let requests = 0;
    let failures = 0;
    const perTarget: TargetReport[] = [];
    for (const [target, s] of this.perTarget) {
      all.add(s.histogram);
      requests += s.requests;
      failures += s.failures;
      for (const [status, n] of s.failuresByStatus) byStatus.set(status, (byStatus.get(status) ?? 0) + n);
      perTarget.push({
        target, requests: s.requests, successes: s.requests - s.failures, failures: s.failures,
        failuresByStatus: sortedRecord(s.failuresByStatus), requestsPerSecond: rate(s.requests), latencyMs: summarize(s.histogram),
      });
    }
    const latencyMs = summarize(all);
    all.destroy();
    return {
      durationSeconds: round(seconds, 3),
      concurrency: this.concurrency,
      targets: this.perTarget.size,
      requests,
      successes: requests - failures,
      failures,
      failureRatio: requests > 0 ? failures / requests : 0,
      failuresByStatus: sortedRecord(byStatus),
      requestsPerSecond: rate(requests),
      latencyMs,
      distinctPods: this.pods.size,
      pods: sortedRecord(this.pods),
      perTarget,
      interrupted,
    };
  }
}

const num = (n: number | undefined, digits = 2): string => (n === undefined ? '-' : n.toFixed(digits));

/** The report as a Locust-style table. */
export function formatTable(report: LoadReport, maxPodsListed = 20): string {
  const nameWidth = Math.max(24, ...report.perTarget.map((t) => t.target.length)) + 1;
  const header = [
    ` ${'Target'.padEnd(nameWidth)}${'# reqs'.padStart(9)}${'# fails'.padStart(16)} |`,
    `${'Avg'.padStart(8)}${'Min'.padStart(8)}${'p50'.padStart(8)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'Max'.padStart(8)} |`,
    `${'req/s'.padStart(10)}${'failures/s'.padStart(12)}`,
  ].join('');
  const rule = '-'.repeat(header.length);
  const row = (name: string, r: Pick<TargetReport, 'requests' | 'failures' | 'requestsPerSecond' | 'latencyMs'>): string => {
    const failPct = r.requests > 0 ? (100 * r.failures) / r.requests : 0;
    const failuresPerSecond = r.requests > 0 ? (r.requestsPerSecond * r.failures) / r.requests : 0;
    const l = r.latencyMs;
    return [
      ` ${name.padEnd(nameWidth)}${String(r.requests).padStart(9)}${`${r.failures}(${failPct.toFixed(2)}%)`.padStart(16)} |`,
      [l?.avg, l?.min, l?.p50, l?.p95, l?.p99, l?.max].map((v) => num(v).padStart(8)).join(''), ' |',
      `${num(r.requestsPerSecond, 1).padStart(10)}${num(failuresPerSecond, 1).padStart(12)}`,
    ].join('');
  };
  const lines = [header, rule, ...report.perTarget.map((t) => row(t.target, t)), rule, row('Aggregated', report), ''];
  lines.push(
    `Latencies in ms, of answered calls. ${report.requests} requests in ${report.durationSeconds.toFixed(2)} s, `
      + `concurrency ${report.concurrency}, ${report.targets} target(s)${report.interrupted ? ', interrupted' : ''}.`,
  );
  if (report.failures > 0) {
    lines.push('', 'Failures by status:', ` ${'# occurrences'.padEnd(15)}${'Status'.padEnd(20)}Target`);
    for (const t of report.perTarget) {
      for (const [status, n] of Object.entries(t.failuresByStatus)) {
        lines.push(` ${String(n).padEnd(15)}${status.padEnd(20)}${t.target}`);
      }
    }
  }
  lines.push('', `Distinct pods answered: ${report.distinctPods}`);
  const pods = Object.entries(report.pods);
  if (pods.length <= maxPodsListed) {
    for (const [pod, n] of pods) lines.push(`  ${pod.padEnd(nameWidth)}${String(n).padStart(9)}`);
  } else {
    lines.push(`  (${pods.length} pods: --json lists the answers per pod)`);
  }
  return `${lines.join('\n')}\n`;
}

/** One progress line. */
export function formatProgress(report: LoadReport): string {
  const l = report.latencyMs;
  return `[${report.durationSeconds.toFixed(0)}s] ${report.requests} requests, ${report.failures} failures, `
    + `${report.requestsPerSecond.toFixed(1)} req/s, p50 ${num(l?.p50)} ms, p99 ${num(l?.p99)} ms, ${report.distinctPods} pod(s)`;
}
