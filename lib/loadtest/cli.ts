/**
 * `npm run loadtest:local -- --target 127.0.0.1:<port> [--workers 2] [--run-time 10s] [--locustfile …]
 *                            [--users 10] [--spawn-rate 10] [--out <dir>] [--python <interpreter>]`
 *
 * Tries a locustfile before it ships: generates the Python stubs of `protos/*.proto`, starts a Locust
 * master and `--workers` workers on 127.0.0.1 (separate processes, headless), waits for the run to end,
 * prints the summary (one line per RPC, failures, requests per worker) and exits with the master's
 * exit code: 0 when no call failed, 1 when any did (Locust's --exit-code-on-error). 2: bad arguments;
 * 3: the run did not end in time or Locust could not start. The CSV, the HTML report and the logs stay
 * in `--out` (default: a new temporary folder, printed at the end).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration, parseInteger, parsePositiveNumber, parseTarget } from '../grpc/options';
import { LOCAL_RUN_DEFAULTS, LocalRunResult, generateStubs, locustPython, runLocal } from './locust';

export const EXIT_USAGE = 2;
export const EXIT_RUN_BROKEN = 3;

/** A run time in whole seconds (Locust's unit), at least 1 s. */
export function parseRunTime(value: string): number {
  const ms = parseDuration(value);
  if (ms < 1000 || ms % 1000 !== 0) throw new InvalidArgumentError(`"${value}" is not a whole number of seconds (at least 1s)`);
  return ms / 1000;
}

/** The summary printed at the end of a run. */
export function formatSummary(result: LocalRunResult): string {
  const lines: string[] = [];
  const width = Math.max(9, ...result.stats.map((r) => r.name.length));
  lines.push(`${'name'.padEnd(width)}  ${'requests'.padStart(9)}  ${'failures'.padStart(9)}  ${'avg ms'.padStart(8)}  `
    + `${'p95 ms'.padStart(8)}  ${'max ms'.padStart(8)}  ${'req/s'.padStart(8)}`);
  for (const r of result.stats) {
    lines.push(`${r.name.padEnd(width)}  ${String(r.requests).padStart(9)}  ${String(r.failures).padStart(9)}  `
      + `${r.averageMs.toFixed(1).padStart(8)}  ${String(r.percentilesMs['95%'] ?? '-').padStart(8)}  `
      + `${r.maxMs.toFixed(1).padStart(8)}  ${r.requestsPerSecond.toFixed(1).padStart(8)}`);
  }
  for (const f of result.failures) lines.push(`failure: ${f.name}: ${f.error} x${f.occurrences}`);
  if (result.workerRequests) {
    const entries = Object.entries(result.workerRequests);
    lines.push(`workers that reported: ${entries.length} (${entries.map(([id, n]) => `${id}: ${n}`).join(', ')})`);
  }
  if (result.aborted) lines.push('the run was interrupted: the master stopped it and wrote its reports');
  if (result.timedOut) lines.push('the run did not end in time: every Locust process was killed');
  lines.push(`reports: ${result.statsCsv}, ${result.htmlReport} (logs: ${path.join(result.outDir, '*.log')})`);
  lines.push(`locust master exit code: ${result.exitCode ?? 'killed'}`);
  return `${lines.join('\n')}\n`;
}

interface Opts {
  target: string;
  workers: number;
  runTime: number;
  locustfile: string;
  users: number;
  spawnRate: number;
  out?: string;
  python?: string;
  verbose: boolean;
}

async function main(): Promise<void> {
  const program = new Command('loadtest:local')
    .description('run a locustfile distributed on this machine (a master and N workers, headless) against a gRPC target')
    .requiredOption('--target <host:port>', 'the gRPC server to load, e.g. 127.0.0.1:10000', parseTarget)
    .addOption(new Option('--workers <n>', 'worker processes').argParser((v) => parseInteger(v, 1, 64)).default(LOCAL_RUN_DEFAULTS.workers))
    .addOption(new Option('--run-time <duration>', 'how long the load runs, e.g. 10s, 2m').argParser(parseRunTime)
      .default(LOCAL_RUN_DEFAULTS.runTimeSeconds, '10s'))
    .addOption(new Option('--locustfile <file>', 'the locustfile').default(LOCAL_RUN_DEFAULTS.locustfile,
      path.relative(process.cwd(), LOCAL_RUN_DEFAULTS.locustfile)))
    .addOption(new Option('--users <n>', 'peak concurrent users').argParser((v) => parseInteger(v, 1)).default(LOCAL_RUN_DEFAULTS.users))
    .addOption(new Option('--spawn-rate <per-second>', 'users started per second').argParser(parsePositiveNumber)
      .default(LOCAL_RUN_DEFAULTS.spawnRate))
    .option('--out <dir>', 'folder for the CSV, HTML report and logs (default: a new temporary folder)')
    .option('--python <interpreter>', 'the Python that runs Locust (default: LOCUST_PYTHON, else the one of `locust` on PATH)')
    .option('--verbose', 'stream the Locust processes\' output', false)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
    .parse();
  const opts = program.opts<Opts>();
  const locustfile = path.resolve(opts.locustfile);
  if (!fs.existsSync(locustfile)) {
    process.stderr.write(`loadtest:local: --locustfile ${opts.locustfile} does not exist\n`);
    process.exit(EXIT_USAGE);
  }
  const python = opts.python ?? locustPython();
  const stubsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-stubs-'));
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let result: LocalRunResult | undefined;
  let failure: Error | undefined;
  try {
    await generateStubs(stubsDir, { python });
    const outDir = path.resolve(opts.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-loadtest-')));
    process.stderr.write(`loadtest:local: ${path.relative(process.cwd(), locustfile)} -> ${opts.target}, `
      + `1 master + ${opts.workers} workers, ${opts.users} users, ${opts.runTime}s\n`);
    result = await runLocal({
      target: opts.target, locustfile, workers: opts.workers, runTimeSeconds: opts.runTime, users: opts.users,
      spawnRate: opts.spawnRate, outDir, stubsDir, python, signal: abort.signal,
      onOutput: opts.verbose ? (name, chunk) => process.stderr.write(chunk.replace(/^(?=.)/gm, `[${name}] `)) : undefined,
    });
  } catch (err) {
    failure = err as Error;
  } finally {
    fs.rmSync(stubsDir, { recursive: true, force: true });
  }
  if (!result) {
    process.stderr.write(`loadtest:local: ${failure?.message}\n`);
    process.exit(EXIT_RUN_BROKEN);
  }
  process.stdout.write(formatSummary(result));
  if (result.exitCode === null || result.timedOut) {
    if (!opts.verbose) process.stderr.write(`master log:\n${result.masterLog}`);
    process.exit(EXIT_RUN_BROKEN);
  }
  process.exit(result.exitCode);
}

if (require.main === module) void main();
