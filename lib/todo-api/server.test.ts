/**
 * The todo-api server in process on 127.0.0.1 (ephemeral ports): against the official driver talking to
 * the wire-protocol fake (fake-mongod.ts), and against small TodoStore doubles where a test needs a slow
 * or failing database.
 */
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HealthStatus, healthClient } from '../grpc/proto';
import { mongoConfigFromEnv } from './config';
import { FakeMongod, startFakeMongod } from './fake-mongod';
import { TODOS_SERVICE, todosClient } from './proto';
import { TodoServer, startTodoServer } from './server';
import { runSmoke } from './smoke';
import { MongoTodoStore, SEED_TODOS, Todo, TodoStore } from './store';

const FRESH = { 'grpc.use_local_subchannel_pool': 1 };

function getTodos(target: string, request: { limit?: number } = {}): Promise<Todo[]> {
  const client = todosClient(target, FRESH);
  return new Promise<Todo[]>((resolve, reject) => {
    client.GetTodos(request, { deadline: Date.now() + 5000 }, (err, reply) => (err ? reject(err) : resolve(reply!.todos)));
  }).finally(() => client.close());
}

function check(target: string, service = ''): Promise<HealthStatus> {
  const client = healthClient(target, FRESH);
  return new Promise<HealthStatus>((resolve, reject) => {
    client.check({ service }, { deadline: Date.now() + 5000 }, (err, reply) => (err ? reject(err) : resolve(reply!.status)));
  }).finally(() => client.close());
}

function listServices(target: string): Promise<string[]> {
  const protoPath = path.join(path.dirname(require.resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { keepCase: true })) as any;
  const client = new pkg.grpc.reflection.v1.ServerReflection(target, grpc.credentials.createInsecure()) as grpc.Client & {
    ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, { list_services_response?: { service: { name: string }[] } }>;
  };
  return new Promise<string[]>((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (r) => { resolve((r.list_services_response?.service ?? []).map((s: { name: string }) => s.name).sort()); stream.end(); });
    stream.on('error', reject);
    stream.write({ list_services: '' });
  }).finally(() => client.close());
}

/** A store whose list calls (when `hold`) wait for `release()`, and whose ping can be made to fail. */
function controlledStore(hold = false, todos: Todo[] = [...SEED_TODOS]) {
  const waiting: (() => void)[] = [];
  let pingError: Error | undefined;
  let pings = 0;
  const store: TodoStore = {
    list: (limit) => new Promise((resolve) => {
      const answer = (): void => resolve(todos.slice(0, limit || undefined));
      if (hold) waiting.push(answer);
      else answer();
    }),
    upsertAll: async () => ({ inserted: 0, updated: 0, unchanged: 0 }),
    ping: async () => { pings++; if (pingError) throw pingError; },
    close: async () => undefined,
  };
  return {
    store,
    release: () => { for (const w of waiting.splice(0)) w(); },
    waiting: () => waiting.length,
    failPing: (err?: Error) => { pingError = err; },
    pings: () => pings,
  };
}

const servers: TodoServer[] = [];
afterEach(() => { for (const s of servers.splice(0)) s.forceStop(); });

async function start(store: TodoStore, extra: Partial<Parameters<typeof startTodoServer>[0]> = {}): Promise<TodoServer> {
  const server = await startTodoServer({ store, host: '127.0.0.1', port: 0, gracePeriodMs: 2000, databaseRetryMs: 20, ...extra });
  servers.push(server);
  return server;
}

describe('against the official driver and the wire-protocol fake', () => {
  let mongod: FakeMongod;
  let store: MongoTodoStore;
  beforeEach(async () => {
    mongod = await startFakeMongod();
    store = MongoTodoStore.fromConfig(mongoConfigFromEnv({ MONGODB_URI: mongod.uri, MONGODB_SERVER_SELECTION_TIMEOUT: '2s' }));
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) s.forceStop();
    await store.close();
    await mongod.stop();
  });

  test('an empty GetTodos request returns the stored todos in id order', async () => {
    await store.upsertAll([...SEED_TODOS].reverse());
    const server = await start(store);
    await server.ready;
    expect(await getTodos(server.address)).toEqual(SEED_TODOS);
    expect((await getTodos(server.address, { limit: 2 })).map((t) => t.id)).toEqual(['seed-001', 'seed-002']);
  });

  test('the smoke test passes once seeded, and fails before, naming the missing todos', async () => {
    const server = await start(store);
    await server.ready;
    const before = await runSmoke(server.address);
    expect(before.ok).toBe(false);
    expect(before.checks.find((c) => c.name.startsWith('GetTodos'))).toMatchObject({ ok: false, detail: expect.stringContaining('missing seed-001') });
    await store.upsertAll(SEED_TODOS);
    const after = await runSmoke(server.address);
    expect(after.checks.map((c) => [c.name, c.ok])).toEqual([
      ['health (server)', true], [`health ${TODOS_SERVICE}`, true], ['GetTodos returns the seed todos', true],
    ]);
    expect(after.ok).toBe(true);
  });

  test('the smoke test fails when a seed todo was changed', async () => {
    await store.upsertAll([...SEED_TODOS.slice(1), { ...SEED_TODOS[0], done: false }]);
    const server = await start(store);
    await server.ready;
    const result = await runSmoke(server.address);
    expect(result.ok).toBe(false);
    expect(result.checks[2].detail).toBe('different seed-001');
  });

  test('a database error answers UNAVAILABLE, naming the error', async () => {
    const server = await start(store);
    await server.ready;
    mongod.failNext('find', 'disk on fire');
    await expect(getTodos(server.address)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'todos are unavailable: disk on fire' });
    expect(await getTodos(server.address)).toEqual([]);
  });
});

test('health is NOT_SERVING until the database answers, then SERVING', async () => {
  const db = controlledStore();
  db.failPing(new Error('connection refused'));
  const errors: string[] = [];
  const server = await start(db.store, { onDatabaseError: (e) => errors.push(e.message) });
  expect(await check(server.address)).toBe('NOT_SERVING');
  expect(await check(server.address, TODOS_SERVICE)).toBe('NOT_SERVING');
  const smoke = await runSmoke(server.address);
  expect(smoke.checks[0]).toMatchObject({ ok: false, detail: 'NOT_SERVING' });
  expect(smoke.checks[2].ok).toBe(true); // GetTodos itself answers: only health keeps the pod out
  expect(smoke.ok).toBe(false);
  db.failPing(undefined);
  await server.ready;
  expect(await check(server.address)).toBe('SERVING');
  expect(await check(server.address, TODOS_SERVICE)).toBe('SERVING');
  expect(errors[0]).toBe('connection refused');
  expect(db.pings()).toBe(errors.length + 1); // retried until the first success, then no more
});

test('reflection lists todos.v1.Todos and health (grpcurl list)', async () => {
  const server = await start(controlledStore().store);
  expect(await listServices(server.address)).toEqual(['grpc.health.v1.Health', TODOS_SERVICE]);
});

test('stop: health NOT_SERVING, new calls refused, the call in flight finishes, drained', async () => {
  const db = controlledStore(true);
  const server = await start(db.store);
  await server.ready;
  const inFlight = getTodos(server.address);
  while (db.waiting() === 0) await new Promise((r) => setTimeout(r, 5));
  expect(server.inFlight()).toBe(1);
  const stopped = server.stop();
  expect(server.stop()).toBe(stopped);
  await expect(getTodos(server.address)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  db.release();
  expect((await inFlight).length).toBe(SEED_TODOS.length);
  expect(await stopped).toMatchObject({ drained: true, inFlightAtStop: 1 });
});

test('stop: a call still in flight after the grace period is cancelled and the stop says not drained', async () => {
  const db = controlledStore(true);
  const server = await start(db.store, { gracePeriodMs: 100 });
  await server.ready;
  const inFlight = getTodos(server.address);
  while (db.waiting() === 0) await new Promise((r) => setTimeout(r, 5));
  expect(await server.stop()).toMatchObject({ drained: false, inFlightAtStop: 1 });
  await expect(inFlight).rejects.toMatchObject({ code: grpc.status.CANCELLED });
  db.release();
});
