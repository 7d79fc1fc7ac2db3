/**
 * The data layer through the official mongodb driver, against the in-process wire-protocol fake
 * (fake-mongod.ts): the driver's handshake, command encoding and result parsing are the real ones.
 */
import { MongoClient } from 'mongodb';
import { mongoConfigFromEnv } from './config';
import { FakeMongod, startFakeMongod } from './fake-mongod';
import { MAX_LIST, MongoTodoStore, SEED_TODOS, Todo } from './store';

let mongod: FakeMongod;
let store: MongoTodoStore;

beforeEach(async () => {
  mongod = await startFakeMongod();
  store = MongoTodoStore.fromConfig(mongoConfigFromEnv({ MONGODB_URI: mongod.uri, MONGODB_SERVER_SELECTION_TIMEOUT: '2s' }));
});

afterEach(async () => {
  await store.close();
  await mongod.stop();
});

test('an empty database lists no todos, and ping answers', async () => {
  await store.ping();
  expect(await store.list()).toEqual([]);
  expect(mongod.commands).toEqual(expect.arrayContaining(['ping', 'find']));
});

test('seeding writes one document per todo, keyed by its id', async () => {
  expect(await store.upsertAll(SEED_TODOS)).toEqual({ inserted: SEED_TODOS.length, updated: 0, unchanged: 0 });
  const docs = mongod.documents('todos', 'todos');
  expect(docs.map((d) => d._id)).toEqual(SEED_TODOS.map((t) => t.id));
  expect(docs[0]).toEqual({ _id: 'seed-001', title: SEED_TODOS[0].title, description: SEED_TODOS[0].description, done: true });
});

test('seeding twice leaves the same data', async () => {
  await store.upsertAll(SEED_TODOS);
  const once = mongod.documents('todos', 'todos');
  expect(await store.upsertAll(SEED_TODOS)).toEqual({ inserted: 0, updated: 0, unchanged: SEED_TODOS.length });
  expect(mongod.documents('todos', 'todos')).toEqual(once);
});

test('seeding repairs a changed seed todo and keeps other todos', async () => {
  await store.upsertAll(SEED_TODOS);
  await store.upsertAll([{ id: 'seed-002', title: 'edited', description: '', done: false }, { id: 'user-1', title: 'mine', description: '', done: false }]);
  expect(await store.upsertAll(SEED_TODOS)).toEqual({ inserted: 0, updated: 1, unchanged: SEED_TODOS.length - 1 });
  const todos = await store.list();
  expect(todos.find((t) => t.id === 'seed-002')).toEqual(SEED_TODOS[1]);
  expect(todos.map((t) => t.id)).toContain('user-1');
});

test('list orders by id and honours the limit, capped at MAX_LIST', async () => {
  const many: Todo[] = Array.from({ length: 12 }, (_, i) => ({ id: `t-${String(11 - i).padStart(2, '0')}`, title: `t${i}`, description: '', done: i % 2 === 0 }));
  await store.upsertAll(many);
  const all = await store.list();
  expect(all.map((t) => t.id)).toEqual([...many.map((t) => t.id)].sort());
  expect((await store.list(3)).map((t) => t.id)).toEqual(['t-00', 't-01', 't-02']);
  expect((await store.list(0)).length).toBe(12);
  expect((await store.list(MAX_LIST + 5)).length).toBe(12);
});

test('a document written by someone else with missing fields reads with proto defaults', async () => {
  const client = new MongoClient(mongod.uri, { serverSelectionTimeoutMS: 2000 });
  try {
    await client.db('todos').collection<{ _id: string; title: string }>('todos').insertOne({ _id: 'x', title: 'only a title' });
  } finally {
    await client.close();
  }
  expect(await store.list()).toEqual([{ id: 'x', title: 'only a title', description: '', done: false }]);
});

test('a server error reaches the caller as a rejection naming it', async () => {
  mongod.failNext('find', 'disk on fire');
  await expect(store.list()).rejects.toThrow('disk on fire');
});

test('an unreachable server fails after the server selection timeout', async () => {
  await mongod.stop();
  const lost = MongoTodoStore.fromConfig(mongoConfigFromEnv({ MONGODB_URI: mongod.uri, MONGODB_SERVER_SELECTION_TIMEOUT: '300ms' }));
  try {
    await expect(lost.ping()).rejects.toThrow(/ECONNREFUSED|Server selection timed out/);
  } finally {
    await lost.close();
  }
});
