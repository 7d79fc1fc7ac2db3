/**
 * Locust on this machine: Python gRPC stubs from `protos/*.proto`, and a distributed run (one master,
 * N workers, each its own process, headless, on 127.0.0.1) whose CSV report and logs land in one
 * folder. `npm run loadtest:local` and the integration tests drive it.
 *
 * Every run is bounded: the master gets `--expect-workers-max-wait`, and the whole run a deadline
 * (that wait + the run time + a margin) after which every process is killed; workers still running
 * after the master has exited are stopped too (a worker whose master is gone would otherwise retry
 * for minutes).
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseCsv } from 'csv-parse/sync';
import { closedPort } from '../grpc/processes';

export const REPO = path.resolve(__dirname, '../..');
export const PROTO_DIR = path.join(REPO, 'protos');
export const LOCUST_DIR = path.join(__dirname, 'locust');
/** Where `npm run loadtest:stubs` writes, and where the locustfiles look when MEGA8S_GRPC_STUBS is unset. */
export const DEFAULT_STUBS_DIR = path.join(LOCUST_DIR, 'stubs');
export const STUBS_ENV = 'MEGA8S_GRPC_STUBS';
export const WHOAMI_LOCUSTFILE = path.join(LOCUST_DIR, 'whoami_locustfile.py');
export const TODOS_LOCUSTFILE = path.join(LOCUST_DIR, 'todos_locustfile.py');
/** The line grpc_user.py's master logs when it quits. */
export const WORKER_REPORT_PREFIX = 'worker requests: ';

/**
 * The Python that runs Locust: LOCUST_PYTHON if set, otherwise the interpreter named on the first line
 * of the `locust` command on PATH (so stubs are generated with the grpc_tools of that same install),
 * otherwise `python3`.
 */
export function locustPython(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOCUST_PYTHON) return env.LOCUST_PYTHON;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'locust');
    let firstLine: string;
    try {
      firstLine = fs.readFileSync(candidate, 'utf8').split('\n', 1)[0];
    } catch {
      continue;
    }
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(firstLine);
    if (!shebang) continue;
    // `#!/usr/bin/env python3` names the interpreter in its argument.
    return path.basename(shebang[1]) === 'env' && shebang[2] ? shebang[2] : shebang[1];
  }
  return 'python3';
}

/** The .proto files in `protoDir`, sorted. */
export function protoFiles(protoDir: string = PROTO_DIR): string[] {
  return fs.readdirSync(protoDir).filter((f) => f.endsWith('.proto')).sort();
}

export interface StubOptions {
  /** @default locustPython() */
  readonly python?: string;
  /** @default protos/ of the project */
  readonly protoDir?: string;
  /** File names inside protoDir. @default every .proto in protoDir */
  readonly protos?: readonly string[];
}

/**
 * Writes `<name>_pb2.py` and `<name>_pb2_grpc.py` for each proto into `outDir` with
 * `python -m grpc_tools.protoc`; returns the module names written (`whoami_pb2`, …).
 */
export async function generateStubs(outDir: string, options: StubOptions = {}): Promise<string[]> {
  const python = options.python ?? locustPython();
  const protoDir = options.protoDir ?? PROTO_DIR;
  const protos = options.protos ?? protoFiles(protoDir);
  if (protos.length === 0) throw new Error(`no .proto files in ${protoDir}`);
  fs.mkdirSync(outDir, { recursive: true });
  const args = ['-m', 'grpc_tools.protoc', '-I', protoDir, `--python_out=${outDir}`, `--grpc_python_out=${outDir}`,
    ...protos.map((p) => path.join(protoDir, p))];
  await new Promise<void>((resolve, reject) => {
    execFile(python, args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${python} -m grpc_tools.protoc failed (${err.message.split('\n')[0]}): ${stderr.trim()}`));
      else resolve();
    });
  });
  const modules = protos.flatMap((p) => {
    const base = path.basename(p, '.proto');
    return [`${base}_pb2`, `${base}_pb2_grpc`];
  });
  const missing = modules.filter((m) => !fs.existsSync(path.join(outDir, `${m}.py`)));
  if (missing.length > 0) throw new Error(`grpc_tools.protoc wrote no ${missing.join(', ')} into ${outDir}`);
  return modules;
}

/** One row of Locust's `<prefix>_stats.csv`. */
export interface StatsRow {
  /** `grpc` for the rows of grpc_user.py; empty for the Aggregated row. */
  readonly type: string;
  /** The RPC (`whoami.v1.WhoAmI/Who`) or `Aggregated`. */
  readonly name: string;
  readonly requests: number;
  readonly failures: number;
  readonly medianMs: number;
  readonly averageMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly averageSizeBytes: number;
  readonly requestsPerSecond: number;
  readonly failuresPerSecond: number;
  /** `95%` -> milliseconds; absent where Locust wrote N/A. */
  readonly percentilesMs: Readonly<Record<string, number>>;
}

const STATS_COLUMNS = {
  type: 'Type', name: 'Name', requests: 'Request Count', failures: 'Failure Count',
  medianMs: 'Median Response Time', averageMs: 'Average Response Time', minMs: 'Min Response Time',
  maxMs: 'Max Response Time', averageSizeBytes: 'Average Content Size', requestsPerSecond: 'Requests/s',
  failuresPerSecond: 'Failures/s',
} as const;

function records(csv: string, required: readonly string[], what: string): Record<string, string>[] {
  return parseCsv(csv, {
    skip_empty_lines: true,
    columns: (header: string[]) => {
      const missing = required.filter((c) => !header.includes(c));
      if (missing.length > 0) throw new Error(`${what}: no column ${missing.map((c) => `"${c}"`).join(', ')} in "${header.join(',')}"`);
      return header;
    },
  }) as Record<string, string>[];
}

function num(value: string, column: string, what: string): number {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n)) throw new Error(`${what}: ${column} "${value}" is not a number`);
  return n;
}

/** Parses Locust's `<prefix>_stats.csv`. */
export function parseStatsCsv(csv: string, what = 'stats csv'): StatsRow[] {
  const columns = Object.values(STATS_COLUMNS);
  return records(csv, columns, what).map((r) => {
    const percentilesMs: Record<string, number> = {};
    for (const [key, value] of Object.entries(r)) {
      if (/^\d+(\.\d+)?%$/.test(key) && value !== 'N/A') percentilesMs[key] = num(value, key, what);
    }
    const n = (k: keyof typeof STATS_COLUMNS): number => num(r[STATS_COLUMNS[k]], STATS_COLUMNS[k], what);
    return {
      type: r.Type, name: r.Name, requests: n('requests'), failures: n('failures'), medianMs: n('medianMs'),
      averageMs: n('averageMs'), minMs: n('minMs'), maxMs: n('maxMs'), averageSizeBytes: n('averageSizeBytes'),
      requestsPerSecond: n('requestsPerSecond'), failuresPerSecond: n('failuresPerSecond'), percentilesMs,
    };
  });
}

/** One row of Locust's `<prefix>_failures.csv`. */
export interface FailureRow {
  readonly method: string;
  readonly name: string;
  readonly error: string;
  readonly occurrences: number;
}

/** Parses Locust's `<prefix>_failures.csv`. */
export function parseFailuresCsv(csv: string, what = 'failures csv'): FailureRow[] {
  return records(csv, ['Method', 'Name', 'Error', 'Occurrences'], what).map((r) => ({
    method: r.Method, name: r.Name, error: r.Error, occurrences: num(r.Occurrences, 'Occurrences', what),
  }));
}

/** The requests each worker reported, from the `worker requests: {…}` line of the master's log. */
export function parseWorkerRequests(masterLog: string): Record<string, number> | undefined {
  const line = masterLog.split('\n').filter((l) => l.includes(WORKER_REPORT_PREFIX)).pop();
  if (line === undefined) return undefined;
  const parsed: unknown = JSON.parse(line.slice(line.indexOf(WORKER_REPORT_PREFIX) + WORKER_REPORT_PREFIX.length));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)
    || Object.values(parsed).some((v) => typeof v !== 'number')) {
    throw new Error(`the master's worker report is not an object of counts: ${line}`);
  }
  return parsed as Record<string, number>;
}

export interface LocalRunOptions {
  /** The gRPC target, `host:port` (Locust's --host). */
  readonly target: string;
  /** @default WHOAMI_LOCUSTFILE */
  readonly locustfile?: string;
  /** Worker processes. @default 2 */
  readonly workers?: number;
  /** Locust's --run-time, in whole seconds. @default 10 */
  readonly runTimeSeconds?: number;
  /** Locust's --users. @default 10 */
  readonly users?: number;
  /** Locust's --spawn-rate (users per second). @default 10 */
  readonly spawnRate?: number;
  /** Folder for the CSV (`locust_stats.csv`, …), the HTML report and the logs; created if missing. */
  readonly outDir: string;
  /** Folder holding the generated stubs (MEGA8S_GRPC_STUBS of every process). */
  readonly stubsDir: string;
  /** @default locustPython() */
  readonly python?: string;
  /** How long the master waits for every worker to connect. @default 30 */
  readonly expectWorkersMaxWaitSeconds?: number;
  /** Exit code of the master when any call failed (Locust's --exit-code-on-error). @default 1 */
  readonly exitCodeOnError?: number;
  /** Called with every chunk a process writes (`master`, `worker-1`, …). */
  readonly onOutput?: (process: string, chunk: string) => void;
  /** Aborts the run: the master gets SIGTERM (so it writes its reports), then everything is killed. */
  readonly signal?: AbortSignal;
}

export const LOCAL_RUN_DEFAULTS = {
  locustfile: WHOAMI_LOCUSTFILE, workers: 2, runTimeSeconds: 10, users: 10, spawnRate: 10,
  expectWorkersMaxWaitSeconds: 30, exitCodeOnError: 1,
} as const;

/** Seconds past the run time and the wait for workers before the run is killed. */
const DEADLINE_MARGIN_SECONDS = 30;
/** How long workers may take to leave after the master exited. */
const WORKER_LINGER_MS = 10_000;
/** Between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 5_000;

export interface LocalRunResult {
  /** The master's exit code; null when it was killed by a signal. */
  readonly exitCode: number | null;
  /** Set when the run went past its deadline and every process was killed. */
  readonly timedOut: boolean;
  /** Set when the run was aborted through `signal`. */
  readonly aborted: boolean;
  readonly workerExitCodes: readonly (number | null)[];
  /** `<outDir>/locust_stats.csv`, parsed; empty when the master wrote none. */
  readonly stats: readonly StatsRow[];
  readonly failures: readonly FailureRow[];
  /** Requests per worker id, from the master's log; undefined when the master logged none. */
  readonly workerRequests: Readonly<Record<string, number>> | undefined;
  readonly masterLog: string;
  readonly workerLogs: readonly string[];
  readonly outDir: string;
  readonly statsCsv: string;
  readonly htmlReport: string;
}

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

function startProcess(name: string, python: string, args: readonly string[], env: NodeJS.ProcessEnv,
  logFile: string, onOutput?: (process: string, chunk: string) => void): Proc {
  const child = spawn(python, ['-m', 'locust', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(logFile);
  let text = '';
  const take = (chunk: string): void => {
    text += chunk;
    log.write(chunk);
    onOutput?.(name, chunk);
  };
  child.stdout!.setEncoding('utf8').on('data', take);
  child.stderr!.setEncoding('utf8').on('data', take);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      take(`${name}: ${err.message}\n`);
      // Never started (no such interpreter): there will be no 'close'.
      if (child.pid === undefined) log.end(() => resolve(null));
    });
    child.on('close', (code) => log.end(() => resolve(child.pid === undefined ? null : code)));
  });
  return { name, child, exited, output: () => text };
}

function running(p: Proc): boolean {
  return p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
async function stop(p: Proc, graceMs: number): Promise<void> {
  if (!running(p)) {
    await p.exited;
    return;
  }
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited.finally(() => clearTimeout(timer));
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); })])
    .finally(() => clearTimeout(timer));
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Runs `locustfile` distributed on 127.0.0.1: a headless master and `workers` workers, each a process
 * of its own, against `target`. Resolves once every process has exited (or been killed).
 */
export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const o = { ...LOCAL_RUN_DEFAULTS, ...options };
  const python = options.python ?? locustPython();
  for (const [name, value, min] of [['workers', o.workers, 1], ['runTimeSeconds', o.runTimeSeconds, 1], ['users', o.users, 1],
    ['expectWorkersMaxWaitSeconds', o.expectWorkersMaxWaitSeconds, 1]] as const) {
    if (!Number.isInteger(value) || value < min) throw new Error(`runLocal: ${name} ${value} is not an integer >= ${min}`);
  }
  if (!(o.spawnRate > 0)) throw new Error(`runLocal: spawnRate ${o.spawnRate} is not a positive number`);
  if (!fs.existsSync(o.locustfile)) throw new Error(`runLocal: locustfile ${o.locustfile} does not exist`);
  fs.mkdirSync(o.outDir, { recursive: true });
  const csvPrefix = path.join(o.outDir, 'locust');
  const htmlReport = path.join(o.outDir, 'locust-report.html');
  const env = { ...process.env, [STUBS_ENV]: o.stubsDir, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
  // A port nothing listens on right now; the master binds it at once.
  const masterPort = await closedPort();

  const master = startProcess('master', python, [
    '-f', o.locustfile, '--master', '--headless', '--master-bind-host', '127.0.0.1', '--master-bind-port', String(masterPort),
    '--expect-workers', String(o.workers), '--expect-workers-max-wait', String(o.expectWorkersMaxWaitSeconds),
    '--users', String(o.users), '--spawn-rate', String(o.spawnRate), '--run-time', `${o.runTimeSeconds}s`,
    '--host', o.target, '--csv', csvPrefix, '--html', htmlReport,
    '--exit-code-on-error', String(o.exitCodeOnError), '--only-summary',
  ], env, path.join(o.outDir, 'master.log'), o.onOutput);
  const workers = Array.from({ length: o.workers }, (_, i) => startProcess(`worker-${i + 1}`, python, [
    '-f', o.locustfile, '--worker', '--master-host', '127.0.0.1', '--master-port', String(masterPort),
  ], env, path.join(o.outDir, `worker-${i + 1}.log`), o.onOutput));
  const all = [master, ...workers];

  let timedOut = false;
  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    void stop(master, KILL_GRACE_MS);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.signal?.aborted) onAbort();
    const deadlineMs = (o.expectWorkersMaxWaitSeconds + o.runTimeSeconds + DEADLINE_MARGIN_SECONDS) * 1000;
    if ((await within(master.exited, deadlineMs)) === 'timeout') {
      timedOut = true;
      await stop(master, KILL_GRACE_MS);
    }
    // Workers leave when the master tells them to; those that do not (their master died) are stopped.
    await within(Promise.all(workers.map((w) => w.exited)), WORKER_LINGER_MS);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(all.map((p) => stop(p, KILL_GRACE_MS)));
  }

  const statsCsv = `${csvPrefix}_stats.csv`;
  const statsText = readIfExists(statsCsv);
  const failuresText = readIfExists(`${csvPrefix}_failures.csv`);
  const masterLog = master.output();
  return {
    exitCode: await master.exited,
    timedOut,
    aborted,
    workerExitCodes: await Promise.all(workers.map((w) => w.exited)),
    stats: statsText ? parseStatsCsv(statsText, statsCsv) : [],
    failures: failuresText ? parseFailuresCsv(failuresText, `${csvPrefix}_failures.csv`) : [],
    workerRequests: parseWorkerRequests(masterLog),
    masterLog,
    workerLogs: workers.map((w) => w.output()),
    outDir: o.outDir,
    statsCsv,
    htmlReport,
  };
}
