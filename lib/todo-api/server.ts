/**
 * The todo-api gRPC server: `todos.v1.Todos`, the standard `grpc.health.v1.Health` service
 * (grpc-health-check) and server reflection (@grpc/reflection), on a `TodoStore`.
 *
 * Health starts NOT_SERVING and turns SERVING once the database has answered a ping (retried every
 * `databaseRetryMs`), so a pod takes traffic only when it can answer. Health, reflection and the
 * graceful stop are the project's shared ones (lib/grpc/serving.ts), as in the whoami server.
 */
import * as grpc from '@grpc/grpc-js';
import { joinHostPort } from '../grpc/options';
import { addHealthAndReflection, bindInsecure } from '../grpc/serving';
import { TODOS_SERVICE, TodosHandlers, reflectedTodosDefinition, todosPackage } from './proto';
import { TodoStore } from './store';

export const TODO_SERVER_DEFAULTS = {
  host: '0.0.0.0',
  port: 10000,
  gracePeriodMs: 25_000,
  databaseRetryMs: 2_000,
} as const;

export interface TodoServerOptions {
  readonly store: TodoStore;
  /** @default 0.0.0.0 */
  readonly host?: string;
  /** 0 picks a free port. @default 10000 */
  readonly port?: number;
  /** @default 25000 */
  readonly gracePeriodMs?: number;
  /** Pause between database pings until the first one succeeds. @default 2000 */
  readonly databaseRetryMs?: number;
  /** Called with each failed database ping (for the log). */
  readonly onDatabaseError?: (err: Error) => void;
}

export interface TodoStopResult {
  readonly drained: boolean;
  readonly inFlightAtStop: number;
  readonly stopMs: number;
}

export interface TodoServer {
  readonly address: string;
  readonly port: number;
  /** Resolves once the database has answered and health says SERVING. */
  readonly ready: Promise<void>;
  inFlight(): number;
  /** Graceful stop; idempotent. Does not close the store. */
  stop(): Promise<TodoStopResult>;
  forceStop(): void;
}

function serviceError(code: grpc.status, details: string): Partial<grpc.ServiceError> {
  return { code, details, message: details };
}

export async function startTodoServer(options: TodoServerOptions): Promise<TodoServer> {
  const { store } = options;
  const host = options.host ?? TODO_SERVER_DEFAULTS.host;
  const gracePeriodMs = options.gracePeriodMs ?? TODO_SERVER_DEFAULTS.gracePeriodMs;
  const retryMs = options.databaseRetryMs ?? TODO_SERVER_DEFAULTS.databaseRetryMs;
  const server = new grpc.Server();

  let inFlight = 0;
  const handlers: TodosHandlers = {
    GetTodos(call, callback) {
      inFlight++;
      store.list(call.request.limit).then(
        (todos) => callback(null, { todos }),
        (err: Error) => callback(serviceError(grpc.status.UNAVAILABLE, `todos are unavailable: ${err.message}`)),
      ).finally(() => { inFlight--; });
    },
  };
  server.addService(todosPackage().todos.v1.Todos.service, handlers);

  const serving = addHealthAndReflection(server, {
    services: [TODOS_SERVICE], initiallyServing: false, reflected: reflectedTodosDefinition(), gracePeriodMs,
  });
  const port = await bindInsecure(server, host, options.port ?? TODO_SERVER_DEFAULTS.port);

  let retryTimer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve) => {
    const attempt = (): void => {
      store.ping().then(() => {
        if (serving.stopping()) return;
        serving.setServing(true);
        resolve();
      }, (err: Error) => {
        options.onDatabaseError?.(err);
        if (!serving.stopping()) retryTimer = setTimeout(attempt, retryMs);
      });
    };
    attempt();
  });

  let stopping: Promise<TodoStopResult> | undefined;
  return {
    address: joinHostPort(host, port),
    port,
    ready,
    inFlight: () => inFlight,
    forceStop() {
      clearTimeout(retryTimer);
      serving.forceStop();
    },
    stop() {
      const inFlightAtStop = inFlight;
      clearTimeout(retryTimer);
      stopping ??= serving.stop().then((r) => ({ drained: r.drained, inFlightAtStop, stopMs: r.stopMs }));
      return stopping;
    },
  };
}
