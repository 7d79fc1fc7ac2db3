import { LoadStats, formatProgress, formatTable } from './stats';

function sample(): LoadStats {
  const stats = new LoadStats(['10.0.0.1:10000', '10.0.0.2:10000'], 4);
  for (let i = 1; i <= 100; i++) stats.recordSuccess('10.0.0.1:10000', i * 1000, 'ns/pod-a'); // 1..100 ms
  stats.recordSuccess('10.0.0.2:10000', 500, 'ns/pod-b');
  stats.recordFailure('10.0.0.2:10000', 'UNAVAILABLE');
  stats.recordFailure('10.0.0.2:10000', 'UNAVAILABLE');
  stats.recordFailure('10.0.0.2:10000', 'DEADLINE_EXCEEDED');
  stats.finish();
  return stats;
}

test('report: totals, failures by status, pods, percentiles of the answered calls', () => {
  const r = sample().report();
  expect(r).toMatchObject({
    concurrency: 4, targets: 2, requests: 104, successes: 101, failures: 3, failureRatio: 3 / 104,
    failuresByStatus: { DEADLINE_EXCEEDED: 1, UNAVAILABLE: 2 }, distinctPods: 2, pods: { 'ns/pod-a': 100, 'ns/pod-b': 1 }, interrupted: false,
  });
  const a = r.perTarget[0].latencyMs!;
  // HDR histograms with 3 significant digits: within 0.1% of the exact values.
  expect(a.min).toBeCloseTo(1, 2);
  expect(a.p50).toBeCloseTo(50, 1);
  expect(a.p95).toBeCloseTo(95, 1);
  expect(a.p99).toBeCloseTo(99, 1);
  expect(a.max).toBeCloseTo(100, 1);
  expect(a.avg).toBeCloseTo(50.5, 1);
  expect(r.perTarget[1]).toMatchObject({ requests: 4, successes: 1, failures: 3, latencyMs: { min: 0.5, max: 0.5 } });
  expect(r.latencyMs!.min).toBe(0.5);
  expect(r.latencyMs!.p99).toBeLessThanOrEqual(r.latencyMs!.max);
});

test('percentiles never exceed the largest value recorded', () => {
  const stats = new LoadStats(['t:1'], 1);
  // 58 952 us lies inside a histogram bucket whose upper edge is above it.
  for (let i = 0; i < 10; i++) stats.recordSuccess('t:1', 58_952, 'p');
  const l = stats.report().latencyMs!;
  expect(l.p99).toBe(l.max);
  expect(l.max).toBe(58.952);
});

test('the clock stops at finish(); an empty run has no latency and a zero failure ratio', () => {
  const stats = new LoadStats(['t:1'], 1);
  stats.finish();
  const first = stats.report();
  expect(stats.report().durationSeconds).toBe(first.durationSeconds);
  expect(first).toMatchObject({ requests: 0, failureRatio: 0, latencyMs: null, requestsPerSecond: 0 });
});

test('formatTable: a row per target, the aggregate, failures by status and the pods', () => {
  const table = formatTable(sample().report());
  const lines = table.split('\n');
  expect(lines[0]).toMatch(/^ Target +# reqs +# fails \| +Avg +Min +p50 +p95 +p99 +Max \| +req\/s +failures\/s$/);
  expect(lines[2]).toMatch(/^ 10\.0\.0\.1:10000 +100 +0\(0\.00%\) \| +50\.\d\d +1\.00 +50\.\d\d +95\.\d\d +99\.\d\d +100\.\d\d \|/);
  expect(lines[3]).toMatch(/^ 10\.0\.0\.2:10000 +4 +3\(75\.00%\) \| +0\.50 +0\.50 +0\.50 +0\.50 +0\.50 +0\.50 \|/);
  expect(lines[5]).toMatch(/^ Aggregated +104 +3\(2\.88%\) \|/);
  expect(table).toContain('Failures by status:');
  expect(table).toMatch(/ 2 +UNAVAILABLE +10\.0\.0\.2:10000/);
  expect(table).toMatch(/ 1 +DEADLINE_EXCEEDED +10\.0\.0\.2:10000/);
  expect(table).toContain('Distinct pods answered: 2');
  expect(table).toMatch(/ ns\/pod-a +100\n/);
  expect(formatTable(sample().report(), 1)).toContain('(2 pods: --json lists the answers per pod)');
});

test('formatProgress is one line', () => {
  expect(formatProgress(sample().report())).toMatch(/^\[\d+s\] 104 requests, 3 failures, [\d.]+ req\/s, p50 [\d.]+ ms, p99 [\d.]+ ms, 2 pod\(s\)$/);
});
