/**
 * The todo-api program; one image, three commands:
 *
 *   todo-api [serve] [--host 0.0.0.0] [--port 10000] [--grace-period 25s]
 *   todo-api seed
 *   todo-api smoke --target HOST:PORT [--timeout 5s]
 *
 * `serve` answers todos.v1.Todos, grpc.health.v1.Health and reflection, and drains on SIGTERM/SIGINT
 * (exit 0 once drained, 1 if the grace period ran out or a second signal came first). `seed` writes
 * the seed todos (idempotent: running it twice leaves the same data). `smoke` exits 0 only if the
 * target says SERVING and GetTodos returns the seed todos. `serve` and `seed` read MongoDB's settings
 * from the environment (see config.ts). Every command logs JSON lines on stdout.
 */
import { Command, Option } from 'commander';
import { parseDuration, parsePort, parseTarget } from '../grpc/options';
import { mongoConfigFromEnv } from './config';
import { TODO_SERVER_DEFAULTS, startTodoServer } from './server';
import { runSmoke } from './smoke';
import { MongoTodoStore, SEED_TODOS } from './store';

function log(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

function storeFromEnv(): MongoTodoStore {
  try {
    const config = mongoConfigFromEnv();
    log({ level: 'info', msg: 'mongodb configured', mongodb: config.description, database: config.database });
    return MongoTodoStore.fromConfig(config);
  } catch (err) {
    log({ level: 'error', msg: 'mongodb settings are invalid', error: (err as Error).message });
    process.exit(2);
  }
}

async function serve(opts: { host: string; port: number; gracePeriod: number }): Promise<void> {
  const store = storeFromEnv();
  let server;
  try {
    server = await startTodoServer({
      store, host: opts.host, port: opts.port, gracePeriodMs: opts.gracePeriod,
      onDatabaseError: (err) => log({ level: 'warn', msg: 'database not reachable yet', error: err.message }),
    });
  } catch (err) {
    log({ level: 'error', msg: 'todo-api server failed to start', address: `${opts.host}:${opts.port}`, error: (err as Error).message });
    await store.close();
    process.exit(1);
  }
  log({ level: 'info', msg: 'todo-api server started', address: server.address, pid: process.pid });
  void server.ready.then(() => log({ level: 'info', msg: 'todo-api serving', address: server.address }));

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      server.forceStop();
      return;
    }
    signalled = true;
    void server.stop().then(async (result) => {
      await store.close().catch(() => undefined);
      log({ level: 'info', msg: 'todo-api server stopped', signal, ...result });
      process.exit(result.drained ? 0 : 1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function seed(): Promise<void> {
  const store = storeFromEnv();
  try {
    const result = await store.upsertAll(SEED_TODOS);
    log({ level: 'info', msg: 'seeded', todos: SEED_TODOS.length, ...result });
  } catch (err) {
    log({ level: 'error', msg: 'seed failed', error: (err as Error).message });
    process.exitCode = 1;
  } finally {
    await store.close().catch(() => undefined);
  }
}

async function smoke(opts: { target: string; timeout: number }): Promise<void> {
  const result = await runSmoke(opts.target, { timeoutMs: opts.timeout });
  for (const check of result.checks) {
    log({ level: check.ok ? 'info' : 'error', msg: 'smoke check', check: check.name, ok: check.ok, detail: check.detail, target: opts.target });
  }
  log({ level: result.ok ? 'info' : 'error', msg: result.ok ? 'smoke test passed' : 'smoke test failed', target: opts.target });
  process.exitCode = result.ok ? 0 : 1;
}

export function buildProgram(): Command {
  const program = new Command('todo-api')
    .description('the todo-api program: serve todos.v1.Todos from MongoDB, seed the database, smoke-test a server');
  program.command('serve', { isDefault: true })
    .description('serve todos.v1.Todos, health and reflection (MongoDB settings from the environment)')
    .option('--host <address>', 'address to bind', TODO_SERVER_DEFAULTS.host)
    .addOption(new Option('--port <port>', 'port to bind (0 picks a free port)').env('PORT')
      .argParser((v) => parsePort(v, true)).default(TODO_SERVER_DEFAULTS.port))
    .addOption(new Option('--grace-period <duration>', 'how long a stop waits for calls in flight')
      .argParser(parseDuration).default(TODO_SERVER_DEFAULTS.gracePeriodMs, '25s'))
    .action(serve);
  program.command('seed')
    .description('write the seed todos (idempotent; MongoDB settings from the environment)')
    .action(seed);
  program.command('smoke')
    .description('exit 0 only if TARGET says SERVING and GetTodos returns the seed todos')
    .requiredOption('--target <host:port>', 'the server to check', parseTarget)
    .addOption(new Option('--timeout <duration>', 'deadline of each call').argParser(parseDuration).default(5000, '5s'))
    .action(smoke);
  return program;
}

if (require.main === module) {
  void buildProgram().parseAsync();
}
