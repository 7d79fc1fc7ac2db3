/**
 * What every gRPC program of the project serves besides its own service, and how it stops: the
 * standard `grpc.health.v1.Health` service (grpc-health-check), server reflection (@grpc/reflection),
 * binding, and the graceful stop a node drain or a preemption needs: health flips to NOT_SERVING at
 * once (open health Watch streams get that status and then end), the listeners close so new
 * connections are refused, calls in flight finish, and after `gracePeriodMs` whatever is left is
 * cancelled.
 */
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { HealthImplementation, ServingStatus } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { joinHostPort } from './options';

export interface ServingOptions {
  /** Services whose health is reported, besides the server as a whole (''). */
  readonly services: readonly string[];
  /** Health status of every entry until `setServing` says otherwise. */
  readonly initiallyServing: boolean;
  /** What reflection describes (the program's protos and grpc.health.v1, as written). */
  readonly reflected: PackageDefinition;
  /** How long `stop()` waits for calls in flight before cancelling them. */
  readonly gracePeriodMs: number;
}

export interface ServingStop {
  /** True when every call in flight finished within the grace period. */
  readonly drained: boolean;
  /** Milliseconds from the stop to the server being closed. */
  readonly stopMs: number;
}

export interface Serving {
  /** Sets the health status of the server as a whole and of every service. */
  setServing(serving: boolean): void;
  /** True once `stop()` was called. */
  stopping(): boolean;
  /** Graceful stop (see the module comment); idempotent: every call returns the same promise. */
  stop(): Promise<ServingStop>;
  /** Cancels everything at once. */
  forceStop(): void;
}

/** Adds health and reflection to `server` (before it is bound) and returns the controls. */
export function addHealthAndReflection(server: grpc.Server, options: ServingOptions): Serving {
  const initial: ServingStatus = options.initiallyServing ? 'SERVING' : 'NOT_SERVING';
  const health = new HealthImplementation(Object.fromEntries(['', ...options.services].map((s) => [s, initial])));
  // Health Watch streams never end on their own, so a graceful shutdown would wait for them until the
  // grace period runs out: keep hold of them to end them once they have been told NOT_SERVING.
  const watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  let stopping: Promise<ServingStop> | undefined;
  health.addToServer({
    addService(service, implementation) {
      const watch = implementation.watch as grpc.handleServerStreamingCall<unknown, unknown>;
      server.addService(service as grpc.ServiceDefinition, {
        ...implementation,
        watch(call: grpc.ServerWritableStream<unknown, unknown>) {
          watch(call);
          if (stopping) {
            // Arrived during the drain: it has just been told NOT_SERVING, and that is all.
            call.end();
            return;
          }
          watches.add(call);
          call.on('cancelled', () => watches.delete(call));
        },
      } as grpc.UntypedServiceImplementation);
    },
  });
  new ReflectionService(options.reflected).addToServer(server);

  const setStatus = (status: ServingStatus): void => {
    for (const s of ['', ...options.services]) health.setStatus(s, status);
  };
  let settleStop: ((drained: boolean) => void) | undefined;
  return {
    setServing: (serving) => setStatus(serving ? 'SERVING' : 'NOT_SERVING'),
    stopping: () => stopping !== undefined,
    forceStop() {
      server.forceShutdown();
      settleStop?.(false);
    },
    stop() {
      stopping ??= new Promise<ServingStop>((resolve) => {
        const began = Date.now();
        setStatus('NOT_SERVING');
        for (const call of watches) call.end();
        watches.clear();
        const timer = setTimeout(() => {
          server.forceShutdown();
          settle(false);
        }, options.gracePeriodMs);
        const settle = (drained: boolean): void => {
          if (!settleStop) return;
          settleStop = undefined;
          clearTimeout(timer);
          resolve({ drained, stopMs: Date.now() - began });
        };
        settleStop = settle;
        server.tryShutdown(() => settle(true));
      });
      return stopping;
    },
  };
}

/** Binds `server` to `host:port` without TLS and resolves with the port; on failure the server is shut down. */
export function bindInsecure(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(joinHostPort(host, port), grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  }).catch((err: unknown) => {
    server.forceShutdown();
    throw err;
  });
}
