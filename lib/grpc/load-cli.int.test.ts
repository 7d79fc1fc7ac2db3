/**
 * `npm run load` end to end: the load CLI and 4 whoami server CLIs, each its own process on 127.0.0.1.
 */
import { expectConsistentReport } from './expect-report';
import { LoadReport } from './stats';
import { Child, LOAD_CLI, ServerProcess, killAllChildren, runCli, spawnTs, startServerProcess } from './processes';

let fleet: ServerProcess[];

beforeAll(async () => {
  fleet = await Promise.all([0, 1, 2, 3].map((i) => startServerProcess({ POD_NAME: `service-00${i}`, POD_NAMESPACE: 'fourhundred' })));
});
afterAll(killAllChildren);

const targetArgs = (servers: ServerProcess[]): string[] => servers.flatMap((s) => ['--target', s.address]);

test('N requests against 4 servers: 0 failures, all 4 pods answered, exit 0 (JSON and table)', async () => {
  const json = await runCli(LOAD_CLI, [...targetArgs(fleet), '--requests', '1000', '--concurrency', '8', '--json']);
  expect(json).toMatchObject({ code: 0, stderr: '' });
  const report = JSON.parse(json.stdout) as LoadReport;
  expectConsistentReport(report);
  expect(report).toMatchObject({ requests: 1000, successes: 1000, failures: 0, targets: 4, distinctPods: 4, concurrency: 8 });
  expect(Object.keys(report.pods)).toEqual([0, 1, 2, 3].map((i) => `fourhundred/service-00${i}`));

  const table = await runCli(LOAD_CLI, [...targetArgs(fleet), '--requests', '100', '--round-robin']);
  expect(table.code).toBe(0);
  for (const s of fleet) expect(table.stdout).toMatch(new RegExp(`^ ${s.address.replace(/\./g, '\\.')} +25 +0\\(0\\.00%\\) \\|`, 'm'));
  expect(table.stdout).toMatch(/^ Aggregated +100 +0\(0\.00%\) \|/m);
  expect(table.stdout).toContain('Distinct pods answered: 4');
});

test('one of the 4 servers killed mid-run: the run goes on, failures counted by status, exit 1 unless allowed', async () => {
  const victim = fleet[3];
  const run: Child = spawnTs(LOAD_CLI, [
    ...targetArgs(fleet), '--duration', '3s', '--concurrency', '8', '--timeout', '2s', '--json', '--progress', '--progress-every', '200ms',
  ]);
  // Kill the server once the generator reports answered calls.
  await run.waitFor(/^\[\d+s\] [1-9]\d* requests/, 'stderr');
  victim.process.kill('SIGKILL');
  await victim.exited;
  const exit = await run.exited;
  expect(exit).toEqual({ code: 1, signal: null });
  const report = JSON.parse(run.stdout()) as LoadReport;
  expectConsistentReport(report);
  expect(report.failures).toBeGreaterThan(0);
  const dead = report.perTarget.find((t) => t.target === victim.address)!;
  expect(dead.successes).toBeGreaterThan(0);
  expect(dead.failures).toBe(report.failures);
  expect(dead.failuresByStatus.UNAVAILABLE).toBeGreaterThan(0);
  for (const t of report.perTarget.filter((x) => x !== dead)) expect(t.failures).toBe(0);
  expect(report.distinctPods).toBe(4);
  expect(run.stderr()).toContain(`load: failure ratio ${report.failureRatio.toFixed(4)} is above --max-failure-ratio 0\n`);

  // The same dead target, with failures allowed: exit 0.
  const tolerant = await runCli(LOAD_CLI, [...targetArgs(fleet), '--requests', '200', '--json', '--max-failure-ratio', '0.9']);
  expect(tolerant.code).toBe(0);
  const second = JSON.parse(tolerant.stdout) as LoadReport;
  expectConsistentReport(second);
  expect(second.failuresByStatus.UNAVAILABLE).toBe(second.failures);
  expect(second.distinctPods).toBe(3);
});

test('without --requests or --duration it runs until Ctrl-C, then reports', async () => {
  const run = spawnTs(LOAD_CLI, [...targetArgs(fleet.slice(0, 2)), '--json', '--progress', '--progress-every', '200ms']);
  await run.waitFor(/^\[\d+s\] [1-9]\d* requests/, 'stderr');
  run.process.kill('SIGINT');
  expect(await run.exited).toEqual({ code: 0, signal: null });
  const report = JSON.parse(run.stdout()) as LoadReport;
  expectConsistentReport(report);
  expect(report).toMatchObject({ interrupted: true, failures: 0, distinctPods: 2 });
});

test('bad arguments: exit 2 with the reason', async () => {
  const cases: [string[], string][] = [
    [[], 'give at least one --target host:port, or --from-kubectl'],
    [['--target', '127.0.0.1:1', '--from-kubectl'], "option '--from-kubectl' cannot be used with option '--target"],
    [['--target', '127.0.0.1:1', '--namespace', 'x'], '--namespace only applies with --from-kubectl'],
    [['--target', '127.0.0.1:1', '--requests', '0'], '0 is out of range'],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(LOAD_CLI, args)));
  results.forEach((result, i) => {
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(cases[i][1]);
  });
});
