/**
 * The todo-api gRPC server: `todos.v1.Todos`, the standard `grpc.health.v1.Health` service
 * (grpc-health-check) and server reflection (@grpc/reflection), on a `TodoStore`.
 *
 * Health starts NOT_SERVING and turns SERVING once the database has answered a ping (retried every
 * `databaseRetryMs`), so a pod takes traffic only when it can answer. Stopping works like the whoami
 * server's: health NOT_SERVING at once (open Watch streams are told and ended), listeners closed, calls
 * in flight finish, and whatever is left after `gracePeriodMs` is cancelled.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, ServingStatus } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { joinHostPort } from '../grpc/options';
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

  const health = new HealthImplementation({ '': 'NOT_SERVING', [TODOS_SERVICE]: 'NOT_SERVING' });
  const watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  let stopping: Promise<TodoStopResult> | undefined;
  health.addToServer({
    addService(service, implementation) {
      const watch = implementation.watch as grpc.handleServerStreamingCall<unknown, unknown>;
      server.addService(service as grpc.ServiceDefinition, {
        ...implementation,
        watch(call: grpc.ServerWritableStream<unknown, unknown>) {
          watch(call);
          if (stopping) {
            call.end();
            return;
          }
          watches.add(call);
          call.on('cancelled', () => watches.delete(call));
        },
      } as grpc.UntypedServiceImplementation);
    },
  });
  new ReflectionService(reflectedTodosDefinition()).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(joinHostPort(host, options.port ?? TODO_SERVER_DEFAULTS.port), grpc.ServerCredentials.createInsecure(),
      (err, bound) => (err ? reject(err) : resolve(bound)));
  }).catch((err: unknown) => {
    server.forceShutdown();
    throw err;
  });

  const setStatus = (status: ServingStatus): void => {
    health.setStatus('', status);
    health.setStatus(TODOS_SERVICE, status);
  };

  let retryTimer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve) => {
    const attempt = (): void => {
      store.ping().then(() => {
        if (stopping) return;
        setStatus('SERVING');
        resolve();
      }, (err: Error) => {
        options.onDatabaseError?.(err);
        if (!stopping) retryTimer = setTimeout(attempt, retryMs);
      });
    };
    attempt();
  });

  let settleStop: ((drained: boolean) => void) | undefined;
  return {
    address: joinHostPort(host, port),
    port,
    ready,
    inFlight: () => inFlight,
    forceStop() {
      clearTimeout(retryTimer);
      server.forceShutdown();
      settleStop?.(false);
    },
    stop() {
      stopping ??= new Promise<TodoStopResult>((resolve) => {
        const began = Date.now();
        const inFlightAtStop = inFlight;
        clearTimeout(retryTimer);
        setStatus('NOT_SERVING');
        for (const call of watches) call.end();
        watches.clear();
        const timer = setTimeout(() => {
          server.forceShutdown();
          settle(false);
        }, gracePeriodMs);
        const settle = (drained: boolean): void => {
          if (!settleStop) return;
          settleStop = undefined;
          clearTimeout(timer);
          resolve({ drained, inFlightAtStop, stopMs: Date.now() - began });
        };
        settleStop = settle;
        server.tryShutdown(() => settle(true));
      });
      return stopping;
    },
  };
}
