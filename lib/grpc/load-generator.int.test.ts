/**
 * The load generator as a function, against whoami servers in this process on 127.0.0.1.
 */
import { identityFromEnv } from './identity';
import { podOf, runLoad } from './load-generator';
import { expectConsistentReport } from './expect-report';
import { LoadReport } from './stats';
import { WhoamiServer, startWhoamiServer } from './whoami-server';
import { closedPort } from './processes';

const HOST = { hostname: () => 'build-host', ipv4: () => '192.0.2.7', version: () => '1.0.0' };

function startFleet(n: number, prefix: string): Promise<WhoamiServer[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => startWhoamiServer({
    host: '127.0.0.1', port: 0,
    identity: identityFromEnv({ POD_NAME: `${prefix}-${String(i).padStart(3, '0')}`, POD_NAMESPACE: 'fourhundred' }, HOST),
  })));
}

describe('against 4 servers', () => {
  let fleet: WhoamiServer[];
  beforeAll(async () => { fleet = await startFleet(4, 'service'); });
  afterAll(() => fleet.forEach((s) => s.forceStop()));

  test('N requests at random: all answered, every pod answered, totals add up, percentiles ordered', async () => {
    const report = await runLoad({ targets: fleet.map((s) => s.address), requests: 1000, concurrency: 8 });
    expectConsistentReport(report);
    expect(report).toMatchObject({ requests: 1000, successes: 1000, failures: 0, failureRatio: 0, failuresByStatus: {}, targets: 4, distinctPods: 4, interrupted: false });
    expect(Object.keys(report.pods)).toEqual(['fourhundred/service-000', 'fourhundred/service-001', 'fourhundred/service-002', 'fourhundred/service-003']);
    // Random picks: every target gets a share (the chance that one gets none of 1000 is nil).
    for (const t of report.perTarget) expect(t.requests).toBeGreaterThan(0);
    expect(report.requestsPerSecond).toBeGreaterThan(0);
  });

  test('--round-robin spreads the calls evenly', async () => {
    const report = await runLoad({ targets: fleet.map((s) => s.address), requests: 400, concurrency: 4, roundRobin: true });
    expectConsistentReport(report);
    expect(report.perTarget.map((t) => t.requests)).toEqual([100, 100, 100, 100]);
    expect(Object.values(report.pods)).toEqual([100, 100, 100, 100]);
  });

  test('--rate paces the calls: k calls take at least (k - 1) / rate seconds', async () => {
    const report = await runLoad({ targets: [fleet[0].address], requests: 50, concurrency: 4, ratePerSecond: 200 });
    expectConsistentReport(report);
    expect(report.requests).toBe(50);
    expect(report.durationSeconds).toBeGreaterThanOrEqual(49 / 200 - 0.002);
  });

  test('--rate with more workers than calls: idle workers do not wait for slots past the bound', async () => {
    // 3 calls at 5/s take 0.4 s; waiting for the slots of 20 workers would take 3.8 s.
    const report = await runLoad({ targets: [fleet[0].address], requests: 3, concurrency: 20, ratePerSecond: 5 });
    expect(report.requests).toBe(3);
    expect(report.durationSeconds).toBeLessThan(2.5);
  });

  test('--duration bounds the run; progress is reported while it runs', async () => {
    const progress: LoadReport[] = [];
    const report = await runLoad({
      targets: fleet.map((s) => s.address), durationMs: 600, concurrency: 2, ratePerSecond: 100, progressIntervalMs: 100,
      onProgress: (r) => progress.push(r),
    });
    expectConsistentReport(report);
    expect(report.interrupted).toBe(false);
    expect(report.failures).toBe(0);
    expect(report.requests).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p.requests).toBeLessThanOrEqual(report.requests);
  });

  test('without bounds the run lasts until the signal aborts it', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const report = await runLoad({ targets: fleet.map((s) => s.address), concurrency: 2, signal: controller.signal });
    expectConsistentReport(report);
    expect(report.interrupted).toBe(true);
    expect(report.requests).toBeGreaterThan(0);
  });
});

test('one of 4 servers killed mid-run: the run finishes, failures are counted by status, totals add up', async () => {
  const fleet = await startFleet(4, 'victim');
  try {
    const victim = fleet[2];
    let killedAt = -1;
    const report = await runLoad({
      targets: fleet.map((s) => s.address), requests: 1500, concurrency: 8, timeoutMs: 2000, progressIntervalMs: 20,
      onProgress: (r) => {
        if (killedAt < 0 && r.requests >= 200) {
          killedAt = r.requests;
          victim.forceStop();
        }
      },
    });
    expect(killedAt).toBeGreaterThan(0);
    expectConsistentReport(report);
    expect(report.requests).toBe(1500);
    expect(report.failures).toBeGreaterThan(0);
    const dead = report.perTarget.find((t) => t.target === victim.address)!;
    expect(dead.successes).toBeGreaterThan(0);
    expect(dead.failures).toBe(report.failures);
    expect(Object.keys(dead.failuresByStatus).length).toBeGreaterThan(0);
    for (const status of Object.keys(dead.failuresByStatus)) expect(['UNAVAILABLE', 'CANCELLED', 'INTERNAL']).toContain(status);
    expect(dead.failuresByStatus.UNAVAILABLE).toBeGreaterThan(0);
    for (const t of report.perTarget.filter((x) => x !== dead)) expect(t.failures).toBe(0);
    expect(report.distinctPods).toBe(4);
  } finally {
    fleet.forEach((s) => s.forceStop());
  }
});

test('a target that never answers: every call fails UNAVAILABLE and a duration-bound run still ends', async () => {
  const target = `127.0.0.1:${await closedPort()}`;
  const report = await runLoad({ targets: [target], durationMs: 300, concurrency: 4, timeoutMs: 1000 });
  expectConsistentReport(report);
  expect(report.requests).toBeGreaterThan(0);
  expect(report).toMatchObject({ successes: 0, failureRatio: 1, distinctPods: 0, latencyMs: null });
  expect(Object.keys(report.failuresByStatus)).toEqual(['UNAVAILABLE']);
});

test('bad options are refused before any call', async () => {
  await expect(runLoad({ targets: [] })).rejects.toThrow('no targets to call');
  await expect(runLoad({ targets: ['127.0.0.1:1'], requests: 0 })).rejects.toThrow('requests must be a positive integer, got 0');
  await expect(runLoad({ targets: ['127.0.0.1:1'], concurrency: 1.5 })).rejects.toThrow('concurrency must be a positive integer, got 1.5');
  await expect(runLoad({ targets: ['127.0.0.1:1'], ratePerSecond: 0 })).rejects.toThrow('ratePerSecond must be positive, got 0');
});

test('podOf names pods by namespace when there is one', () => {
  const reply = { hostname: 'h', podName: 'p', namespace: 'ns', podIp: '', nodeName: '', version: '', startedAt: '' };
  expect(podOf(reply)).toBe('ns/p');
  expect(podOf({ ...reply, namespace: '' })).toBe('p');
  expect(podOf({ ...reply, podName: '', namespace: '' })).toBe('h');
});
