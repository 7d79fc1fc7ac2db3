/**
 * `npm run bench:grpc -- [--requests 20000] [--concurrency 16] [--servers 1,4]`
 *
 * The load generator (in this process) against 1 and then 4 whoami server processes on 127.0.0.1, a
 * fixed number of requests each, after a short warm-up. Prints requests/s and latency percentiles.
 * Figures depend on the machine: the servers and the generator share its cores.
 * For scale: the todo-api article's Locust run served ~700 requests/s at 19 ms average over a real
 * cluster, with 0 failures out of 791,711.
 */
import * as os from 'os';
import { Command } from 'commander';
import { runLoad } from '../lib/grpc/load-generator';
import { parseInteger } from '../lib/grpc/options';
import { killAllChildren, startServerProcess } from '../lib/grpc/processes';
import { LoadReport } from '../lib/grpc/stats';

interface Row {
  servers: number;
  report: LoadReport;
}

function formatRows(rows: Row[]): string {
  const header = ['servers', 'requests', 'failures', 'req/s', 'avg ms', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'pods'];
  const lines = rows.map(({ servers, report: r }) => [
    String(servers), String(r.requests), String(r.failures), r.requestsPerSecond.toFixed(0),
    ...[r.latencyMs?.avg, r.latencyMs?.p50, r.latencyMs?.p95, r.latencyMs?.p99, r.latencyMs?.max].map((v) => (v === undefined ? '-' : v.toFixed(2))),
    String(r.distinctPods),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const opts = new Command('bench:grpc')
    .option('--requests <n>', 'requests per measured run', (v) => parseInteger(v, 1), 20_000)
    .option('--warmup <n>', 'requests before each measured run (not counted)', (v) => parseInteger(v, 0), 1000)
    .option('--concurrency <n>', 'calls in flight', (v) => parseInteger(v, 1), 16)
    .option('--servers <list>', 'server counts to measure', (v) => v.split(',').map((n) => parseInteger(n, 1, 64)), [1, 4])
    .parse()
    .opts<{ requests: number; warmup: number; concurrency: number; servers: number[] }>();

  process.stdout.write(`node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), `
    + `${opts.requests} requests, concurrency ${opts.concurrency}\n\n`);
  const rows: Row[] = [];
  try {
    for (const n of opts.servers) {
      const servers = await Promise.all(Array.from({ length: n }, (_, i) => startServerProcess({ POD_NAME: `bench-${i}` })));
      const targets = servers.map((s) => s.address);
      if (opts.warmup > 0) await runLoad({ targets, requests: opts.warmup, concurrency: opts.concurrency });
      rows.push({ servers: n, report: await runLoad({ targets, requests: opts.requests, concurrency: opts.concurrency }) });
      for (const s of servers) s.process.kill('SIGTERM');
      await Promise.all(servers.map((s) => s.exited));
    }
  } finally {
    await killAllChildren();
  }
  process.stdout.write(`${formatRows(rows)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:grpc: ${(err as Error).stack ?? String(err)}\n`);
  void killAllChildren().then(() => process.exit(1));
});
