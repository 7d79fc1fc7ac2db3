/**
 * The LocustLoadTest's rendered pods, run for real on this machine: the master's command and
 * LOCUST_* variables and the workers' variables, exactly as synthesized (only the paths of the
 * mounts and the master's host moved to a temporary folder and 127.0.0.1), with Debian's
 * python3-locust (installed by .ci/run). Proves that Locust reads the variables as the construct
 * means them: the master waits for its workers, runs headless, writes CSV and HTML reports, exits
 * with --exit-code-on-error, and the workers stop when it is done.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { parse as parseCsv } from 'csv-parse/sync';
import { HEADLESS_MASTER_SCRIPT, LOCUSTFILE_DIR, LocustLoadTest, LocustMode, REPORTS_DIR } from './locust-load-test';

// Debian's python3-locust 2.12.1 ships an empty version string, with which a master ignores its
// workers (see lib/loadtest/locust/grpc_user.py); the helper module gives every process one.
const HELPER = [
  'import locust.runners',
  'if not locust.runners.__version__:',
  '    locust.runners.__version__ = "0.0.0+unversioned"',
  '',
].join('\n');

const locustfile = (fail: boolean) => [
  'import time',
  'import helper  # a module from the same ConfigMap',
  'from locust import User, constant, task',
  '',
  'class Noop(User):',
  '    wait_time = constant(0.05)',
  '',
  '    @task',
  '    def call(self):',
  '        self.environment.events.request.fire(request_type="test", name="noop", start_time=time.time(),',
  `            response_time=1.0, response_length=10, exception=${fail ? 'RuntimeError("refused")' : 'None'}, context={})`,
  '',
].join('\n');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Exit { code: number | null; at: number }

function run(cmd: string, args: string[], env: Record<string, string>, log: string): { child: ChildProcess; exit: Promise<Exit> } {
  const out = fs.openSync(log, 'w');
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env }, stdio: ['ignore', out, out] });
  const exit = new Promise<Exit>((resolve) => child.on('exit', (code) => { fs.closeSync(out); resolve({ code, at: Date.now() }); }));
  return { child, exit };
}

function containerEnv(c: any, dir: string, masterPort: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env) {
    if (e.valueFrom) out[e.name] = 'test';
    else out[e.name] = e.value.replace(LOCUSTFILE_DIR, path.join(dir, 'locust')).replace(REPORTS_DIR, path.join(dir, 'reports'));
  }
  if (out.LOCUST_MASTER_NODE_HOST) out.LOCUST_MASTER_NODE_HOST = '127.0.0.1';
  expect(out.LOCUST_MASTER_NODE_PORT ?? out.LOCUST_MASTER_BIND_PORT).toBe(String(masterPort));
  return out;
}

async function distributedRun(fail: boolean) {
  const masterPort = await freePort();
  const chart = new Chart(new App(), 'test', { namespace: 'loadtest', disableResourceNameHashes: true });
  const lt = new LocustLoadTest(chart, 'locust', {
    image: 'locustio/locust:2.32.4', mode: LocustMode.HEADLESS, host: '127.0.0.1:1', locustfile: locustfile(fail), modules: { 'helper.py': HELPER },
    workers: 2, users: 4, spawnRate: 4, runTimeSeconds: 4, expectWorkersMaxWaitSeconds: 60, exitCodeOnError: 3, reportRetentionSeconds: 0, masterPort,
  });
  expect(lt.node.validate()).toEqual([]);
  const objects = Testing.synth(chart);
  const cm = objects.find((o) => o.kind === 'ConfigMap');
  const master = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'locust-master').spec.template.spec.containers[0];
  const worker = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'locust-worker').spec.template.spec.containers[0];
  expect(master.command).toEqual(['sh', '-c', HEADLESS_MASTER_SCRIPT]);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locust-construct-'));
  fs.mkdirSync(path.join(dir, 'locust'));
  fs.mkdirSync(path.join(dir, 'reports'));
  for (const [file, text] of Object.entries(cm.data as Record<string, string>)) fs.writeFileSync(path.join(dir, 'locust', file), text);
  const procs: ChildProcess[] = [];
  try {
    const m = run(master.command[0], master.command.slice(1), { ...containerEnv(master, dir, masterPort), HOSTNAME: 'master' }, path.join(dir, 'master.log'));
    procs.push(m.child);
    const workers = [0, 1].map((i) => run('locust', [], containerEnv(worker, dir, masterPort), path.join(dir, `worker-${i}.log`)));
    procs.push(...workers.map((w) => w.child));
    const masterExit = await m.exit;
    const workerExits = await Promise.all(workers.map((w) => w.exit));
    const stats = parseCsv(fs.readFileSync(path.join(dir, 'reports', 'locust_stats.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    return {
      masterExit, workerExits, stats, html: fs.existsSync(path.join(dir, 'reports', 'locust.html')),
      masterLog: fs.readFileSync(path.join(dir, 'master.log'), 'utf8'),
    };
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('LocustLoadTest run by Locust on loopback', () => {
  test('headless: 2 workers, reports written, exit 0, the workers stop with the master', async () => {
    const r = await distributedRun(false);
    expect(r.masterExit.code).toBe(0);
    const noop = r.stats.find((row) => row.Name === 'noop')!;
    expect(Number(noop['Request Count'])).toBeGreaterThan(0);
    expect(Number(noop['Failure Count'])).toBe(0);
    expect(r.html).toBe(true);
    expect(r.masterLog).toContain('locust exited with 0; reports in /reports');
    for (const w of r.workerExits) {
      expect(w.code).toBe(0);
      expect(w.at - r.masterExit.at).toBeLessThan(15_000);
    }
  });

  test('failed requests: the master exits with exitCodeOnError', async () => {
    const r = await distributedRun(true);
    expect(r.masterExit.code).toBe(3);
    expect(Number(r.stats.find((row) => row.Name === 'noop')!['Failure Count'])).toBeGreaterThan(0);
  });
});

describe('the headless master script', () => {
  test('keeps the pod for the retention, exits with locust\'s code, and ends the retention on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locust-script-'));
    try {
      fs.writeFileSync(path.join(dir, 'locust'), '#!/bin/sh\necho report > "$REPORT"\nexit 7\n', { mode: 0o755 });
      const env = (retention: number) => ({ PATH: `${dir}:/usr/bin:/bin`, REPORT: path.join(dir, 'r.csv'), MEGA8S_REPORT_RETENTION_SECONDS: String(retention), POD_NAMESPACE: 'loadtest', HOSTNAME: 'm' });
      const quick = spawn('sh', ['-c', HEADLESS_MASTER_SCRIPT], { env: env(0), stdio: 'ignore' });
      expect(await new Promise((resolve) => quick.on('exit', resolve))).toBe(7);
      expect(fs.readFileSync(path.join(dir, 'r.csv'), 'utf8')).toBe('report\n');

      const kept = spawn('sh', ['-c', HEADLESS_MASTER_SCRIPT], { env: env(60), stdio: 'ignore' });
      const exited = new Promise((resolve) => kept.on('exit', resolve));
      const still = await Promise.race([exited.then(() => 'exited'), new Promise((resolve) => setTimeout(() => resolve('running'), 1000))]);
      expect(still).toBe('running');
      const t0 = Date.now();
      kept.kill('SIGTERM');
      expect(await exited).toBe(7);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
