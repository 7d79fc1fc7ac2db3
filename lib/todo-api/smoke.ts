/**
 * The smoke test a release runs against the idle colour before it takes traffic: health says SERVING
 * (for the server as a whole and for todos.v1.Todos), and GetTodos with an empty request returns every
 * seed todo exactly as seeded.
 */
import * as grpc from '@grpc/grpc-js';
import { healthClient } from '../grpc/proto';
import { TODOS_SERVICE, todosClient } from './proto';
import { SEED_TODOS, Todo } from './store';

export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SmokeResult {
  readonly ok: boolean;
  readonly checks: readonly SmokeCheck[];
}

export interface SmokeOptions {
  /** Per-call deadline. @default 5000 */
  readonly timeoutMs?: number;
  /** What GetTodos must contain. @default SEED_TODOS */
  readonly expected?: readonly Todo[];
}

function deadline(ms: number): grpc.CallOptions {
  return { deadline: Date.now() + ms };
}

/** Runs every check (none stops the others) and says which passed. */
export async function runSmoke(target: string, options: SmokeOptions = {}): Promise<SmokeResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const expected = options.expected ?? SEED_TODOS;
  const health = healthClient(target);
  const todos = todosClient(target);
  const checks: SmokeCheck[] = [];
  try {
    for (const service of ['', TODOS_SERVICE]) {
      const name = `health ${service === '' ? '(server)' : service}`;
      checks.push(await new Promise<SmokeCheck>((resolve) => {
        health.check({ service }, deadline(timeoutMs), (err, reply) => {
          if (err) resolve({ name, ok: false, detail: `${grpc.status[err.code] ?? err.code}: ${err.details}` });
          else resolve({ name, ok: reply?.status === 'SERVING', detail: String(reply?.status) });
        });
      }));
    }
    checks.push(await new Promise<SmokeCheck>((resolve) => {
      const name = 'GetTodos returns the seed todos';
      todos.GetTodos({}, deadline(timeoutMs), (err, reply) => {
        if (err) {
          resolve({ name, ok: false, detail: `${grpc.status[err.code] ?? err.code}: ${err.details}` });
          return;
        }
        const got = new Map((reply?.todos ?? []).map((t) => [t.id, t]));
        const missing = expected.filter((t) => !got.has(t.id)).map((t) => t.id);
        const differ = expected.filter((t) => {
          const g = got.get(t.id);
          return g !== undefined && (g.title !== t.title || g.description !== t.description || g.done !== t.done);
        }).map((t) => t.id);
        const problems = [
          ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
          ...(differ.length ? [`different ${differ.join(', ')}`] : []),
        ];
        resolve({ name, ok: problems.length === 0, detail: problems.length ? problems.join('; ') : `${got.size} todos, all ${expected.length} seed todos as seeded` });
      });
    }));
  } finally {
    health.close();
    todos.close();
  }
  return { ok: checks.every((c) => c.ok), checks };
}
