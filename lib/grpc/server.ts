/**
 * `npm run whoami:server -- [--host 0.0.0.0] [--port 10000] [--grace-period 25s]`
 *
 * Serves whoami.v1.WhoAmI, grpc.health.v1.Health and reflection. Logs one JSON line when it starts and
 * one when it stops. SIGTERM or SIGINT: health NOT_SERVING, new connections refused, calls in flight
 * finish; exit 0 once drained, 1 if the grace period ran out (or a second signal came) first.
 */
import { Command, Option } from 'commander';
import { parseDuration, parsePort } from './options';
import { SERVER_DEFAULTS, startWhoamiServer } from './whoami-server';

function log(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

async function main(): Promise<void> {
  const program = new Command('whoami-server')
    .description('gRPC whoami server: answers whoami.v1.WhoAmI/Who with the pod identity; serves health and reflection')
    .option('--host <address>', 'address to bind', SERVER_DEFAULTS.host)
    .addOption(new Option('--port <port>', 'port to bind (0 picks a free port)').env('PORT')
      .argParser((v) => parsePort(v, true)).default(SERVER_DEFAULTS.port))
    .addOption(new Option('--grace-period <duration>', 'how long a stop waits for calls in flight')
      .argParser(parseDuration).default(SERVER_DEFAULTS.gracePeriodMs, '25s'))
    .parse();
  const opts = program.opts<{ host: string; port: number; gracePeriod: number }>();

  let server;
  try {
    server = await startWhoamiServer({ host: opts.host, port: opts.port, gracePeriodMs: opts.gracePeriod });
  } catch (err) {
    log({ level: 'error', msg: 'whoami server failed to start', address: `${opts.host}:${opts.port}`, error: (err as Error).message });
    process.exit(1);
  }
  const { identity } = server;
  log({
    level: 'info', msg: 'whoami server started', address: server.address, pod: identity.podName,
    namespace: identity.namespace, node: identity.nodeName, version: identity.version, pid: process.pid,
  });

  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      // A second signal: stop waiting for the calls in flight.
      server.forceStop();
      return;
    }
    signalled = signal;
    void server.stop().then((result) => {
      log({ level: 'info', msg: 'whoami server stopped', signal, ...result });
      process.exit(result.drained ? 0 : 1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

void main();
