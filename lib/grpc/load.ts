/**
 * `npm run load -- --target host:port [--target …] | --from-kubectl [--namespace NS] [--selector S] [--port P]`
 *                 `[--requests N] [--duration 30s] [--concurrency C] [--rate R] [--round-robin] [--json]`
 *
 * Calls whoami servers and prints a Locust-style table (or one JSON object with --json); a progress line
 * goes to stderr every few seconds when stderr is a terminal (or with --progress). Without
 * --requests or --duration it runs until Ctrl-C, like the fleet article's `while :` loop.
 * Exit codes: 0 done, 1 the failure ratio exceeded --max-failure-ratio, 2 bad arguments or no targets.
 */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_SELECTOR, DiscoveredTargets, discoverTargets } from './kubectl-targets';
import { LOAD_DEFAULTS, runLoad } from './load-generator';
import {
  collect, parseDuration, parseInteger, parsePort, parsePositiveNumber, parseRatio, parseTarget,
} from './options';
import { formatProgress, formatTable } from './stats';

const EXIT_FAILURE_RATIO = 1;
const EXIT_USAGE = 2;

interface Opts {
  target?: string[];
  fromKubectl: boolean;
  namespace?: string;
  selector?: string;
  port?: number;
  requests?: number;
  duration?: number;
  concurrency: number;
  rate?: number;
  roundRobin: boolean;
  timeout: number;
  maxFailureRatio: number;
  json: boolean;
  progress?: boolean;
  progressEvery: number;
}

function fail(message: string): never {
  process.stderr.write(`load: ${message}\n`);
  process.exit(EXIT_USAGE);
}

async function main(): Promise<void> {
  const program = new Command('load')
    .description('call whoami servers under load and report requests, failures, latency and the pods that answered')
    .addOption(new Option('--target <host:port>', 'a server to call (repeatable)').argParser(collect(parseTarget)))
    .addOption(new Option('--from-kubectl', 'take the targets from `kubectl get services`: each load balancer address')
      .conflicts('target'))
    .option('--namespace <namespace>', 'with --from-kubectl: the namespace (default: kubectl\'s current one)')
    .option('--selector <selector>', `with --from-kubectl: the label selector (default: ${DEFAULT_SELECTOR})`)
    .option('--port <port>', 'with --from-kubectl: port to call (default: each Service\'s grpc port)', (v) => parsePort(v))
    .option('--requests <n>', 'stop after this many calls', (v) => parseInteger(v, 1))
    .option('--duration <duration>', 'stop after this long, e.g. 30s, 5m', parseDuration)
    .addOption(new Option('--concurrency <n>', 'calls in flight at once').argParser((v) => parseInteger(v, 1, 10_000))
      .default(LOAD_DEFAULTS.concurrency))
    .option('--rate <per-second>', 'calls per second over all workers (default: as fast as they go)', parsePositiveNumber)
    .option('--round-robin', 'cycle through the targets instead of picking one at random per call', false)
    .addOption(new Option('--timeout <duration>', 'deadline of each call').argParser(parseDuration).default(LOAD_DEFAULTS.timeoutMs, '5s'))
    .addOption(new Option('--max-failure-ratio <ratio>', 'exit 1 when failures / requests is above this')
      .argParser(parseRatio).default(0))
    .option('--json', 'print the report as one JSON object instead of the table', false)
    .option('--progress', 'print a progress line to stderr every --progress-every (default: when stderr is a terminal)')
    .option('--no-progress', 'never print progress lines')
    .addOption(new Option('--progress-every <duration>', 'interval of the progress lines')
      .argParser(parseDuration).default(LOAD_DEFAULTS.progressIntervalMs, '5s'))
    .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
    .parse();
  const opts = program.opts<Opts>();

  if (!opts.fromKubectl) {
    for (const name of ['namespace', 'selector', 'port'] as const) {
      if (opts[name] !== undefined) fail(`--${name} only applies with --from-kubectl`);
    }
    if (!opts.target?.length) fail('give at least one --target host:port, or --from-kubectl');
  }
  if (opts.timeout < 1) fail('--timeout must be at least 1ms');
  if (opts.duration !== undefined && opts.duration < 1) fail('--duration must be at least 1ms');

  let targets: string[];
  if (opts.fromKubectl) {
    let found: DiscoveredTargets;
    try {
      found = await discoverTargets({ namespace: opts.namespace, selector: opts.selector, port: opts.port });
    } catch (err) {
      fail((err as Error).message);
    }
    for (const s of found.skipped) process.stderr.write(`load: skipped ${s.service}: ${s.reason}\n`);
    for (const t of found.targets) {
      if (t.addressKind === 'hostname') process.stderr.write(`load: ${t.service} has a host name, not an IP: calling ${t.target}\n`);
    }
    if (found.targets.length === 0) fail('no service has a load balancer address yet');
    targets = found.targets.map((t) => t.target);
    process.stderr.write(`load: ${targets.length} target(s) from kubectl (${found.skipped.length} skipped)\n`);
  } else {
    targets = opts.target!;
  }

  const interrupt = new AbortController();
  const onSignal = (): void => {
    // First Ctrl-C: stop and report. Second: leave at once.
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const report = await runLoad({
    targets,
    requests: opts.requests,
    durationMs: opts.duration,
    concurrency: opts.concurrency,
    ratePerSecond: opts.rate,
    roundRobin: opts.roundRobin,
    timeoutMs: opts.timeout,
    signal: interrupt.signal,
    ...((opts.progress ?? process.stderr.isTTY)
      ? { onProgress: (r) => process.stderr.write(`${formatProgress(r)}\n`), progressIntervalMs: opts.progressEvery }
      : {}),
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatTable(report));
  if (report.failureRatio > opts.maxFailureRatio) {
    process.stderr.write(`load: failure ratio ${report.failureRatio.toFixed(4)} is above --max-failure-ratio ${opts.maxFailureRatio}\n`);
    process.exitCode = EXIT_FAILURE_RATIO;
  }
}

void main();
