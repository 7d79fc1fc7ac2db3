/**
 * The todo-api program as processes (`node --import tsx lib/todo-api/main.ts ...`): serve, seed and
 * smoke, against the in-process wire-protocol fake (fake-mongod.ts) on 127.0.0.1, ephemeral ports.
 */
import * as path from 'path';
import { REPO, closedPort, killAllChildren, runCli, spawnTs } from '../grpc/processes';
import { FakeMongod, startFakeMongod } from './fake-mongod';
import { SEED_TODOS } from './store';

const MAIN = path.join(REPO, 'lib/todo-api/main.ts');
let mongod: FakeMongod;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  mongod = await startFakeMongod();
  env = { MONGODB_URI: mongod.uri, MONGODB_SERVER_SELECTION_TIMEOUT: '3s' };
});

afterEach(async () => {
  await killAllChildren();
  await mongod.stop();
});

function lines(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function serve(extraEnv: NodeJS.ProcessEnv = {}) {
  const child = spawnTs(MAIN, ['serve', '--host', '127.0.0.1', '--port', '0', '--grace-period', '5s'], { ...env, ...extraEnv });
  const started = JSON.parse(await child.waitFor(/"msg":"todo-api server started"/)) as { address: string };
  return { child, address: started.address };
}

test('seed, serve, smoke: seeding twice leaves the same data; smoke passes; SIGTERM drains and exits 0', async () => {
  const first = await runCli(MAIN, ['seed'], env);
  expect(first.code).toBe(0);
  expect(lines(first.stdout).find((l) => l.msg === 'seeded')).toMatchObject({ todos: SEED_TODOS.length, inserted: SEED_TODOS.length, updated: 0, unchanged: 0 });
  const once = mongod.documents('todos', 'todos');
  const second = await runCli(MAIN, ['seed'], env);
  expect(second.code).toBe(0);
  expect(lines(second.stdout).find((l) => l.msg === 'seeded')).toMatchObject({ inserted: 0, updated: 0, unchanged: SEED_TODOS.length });
  expect(mongod.documents('todos', 'todos')).toEqual(once);

  const { child, address } = await serve();
  await child.waitFor(/"msg":"todo-api serving"/);
  const smoke = await runCli(MAIN, ['smoke', '--target', address]);
  expect(smoke.stderr).toBe('');
  expect(smoke.code).toBe(0);
  expect(lines(smoke.stdout).filter((l) => l.msg === 'smoke check').map((l) => l.ok)).toEqual([true, true, true]);

  child.process.kill('SIGTERM');
  expect(await child.exited).toEqual({ code: 0, signal: null });
  expect(lines(child.stdout()).find((l) => l.msg === 'todo-api server stopped')).toMatchObject({ signal: 'SIGTERM', drained: true });
});

test('smoke exits 1 against an unseeded database, naming what is missing', async () => {
  const { child, address } = await serve();
  await child.waitFor(/"msg":"todo-api serving"/);
  const smoke = await runCli(MAIN, ['smoke', '--target', address]);
  expect(smoke.code).toBe(1);
  const failed = lines(smoke.stdout).find((l) => l.msg === 'smoke check' && l.ok === false);
  expect(failed).toMatchObject({ check: 'GetTodos returns the seed todos', detail: expect.stringContaining('missing seed-001') });
});

test('smoke exits 1 when nothing listens, and 1 (usage) without --target', async () => {
  const port = await closedPort();
  const smoke = await runCli(MAIN, ['smoke', '--target', `127.0.0.1:${port}`, '--timeout', '1s']);
  expect(smoke.code).toBe(1);
  expect(lines(smoke.stdout).at(-1)).toMatchObject({ msg: 'smoke test failed' });
  const usage = await runCli(MAIN, ['smoke']);
  expect(usage.code).toBe(1);
  expect(usage.stderr).toContain("required option '--target <host:port>' not specified");
});

test('seed exits 1 when the database is unreachable; serve stays NOT_SERVING and says why', async () => {
  await mongod.stop();
  const seed = await runCli(MAIN, ['seed'], { ...env, MONGODB_SERVER_SELECTION_TIMEOUT: '300ms' });
  expect(seed.code).toBe(1);
  expect(lines(seed.stdout).at(-1)).toMatchObject({ level: 'error', msg: 'seed failed' });
  const { child, address } = await serve({ MONGODB_SERVER_SELECTION_TIMEOUT: '300ms' });
  await child.waitFor(/"msg":"database not reachable yet"/);
  const smoke = await runCli(MAIN, ['smoke', '--target', address, '--timeout', '2s']);
  expect(smoke.code).toBe(1);
  expect(lines(smoke.stdout)[0]).toMatchObject({ check: 'health (server)', ok: false, detail: 'NOT_SERVING' });
});

test('bad MongoDB settings: exit 2 with the reason, before binding', async () => {
  const result = await runCli(MAIN, ['serve', '--port', '0'], { MONGODB_URI: '', MONGODB_HOST: 'h', MONGODB_USERNAME: 'u' });
  expect(result.code).toBe(2);
  expect(lines(result.stdout)[0]).toMatchObject({ msg: 'mongodb settings are invalid', error: 'MONGODB_USERNAME and MONGODB_PASSWORD go together: only MONGODB_USERNAME is set' });
});
