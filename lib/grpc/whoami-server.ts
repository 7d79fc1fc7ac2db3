/**
 * The whoami gRPC server: `whoami.v1.WhoAmI`, the standard `grpc.health.v1.Health` service
 * (grpc-health-check) and server reflection (@grpc/reflection).
 *
 * Stopping is what a node drain or a preemption needs: health flips to NOT_SERVING at once (and
 * open health Watch streams get that status and then end), the listeners close so new connections are
 * refused, calls in flight finish, and after `gracePeriodMs` whatever is left is cancelled.
 */
import * as grpc from '@grpc/grpc-js';
import { Identity, identityFromEnv } from './identity';
import { joinHostPort } from './options';
import { addHealthAndReflection, bindInsecure } from './serving';
import {
  WHOAMI_SERVICE, WhoAmIHandlers, WhoReply, reflectedPackageDefinition, whoamiPackage,
} from './proto';

/** The longest `delay_ms` the server honours. */
export const MAX_DELAY_MS = 10_000;

export const SERVER_DEFAULTS = {
  host: '0.0.0.0',
  port: 10000,
  /** Below the pods' default terminationGracePeriodSeconds (30 s) so the server, not SIGKILL, ends the calls. */
  gracePeriodMs: 25_000,
} as const;

export interface WhoamiServerOptions {
  /** Address to bind. @default 0.0.0.0 (the kubelet's gRPC probes dial the pod IP) */
  readonly host?: string;
  /** Port to bind; 0 picks a free one. @default 10000 */
  readonly port?: number;
  /** What `Who` answers. @default identityFromEnv(process.env) */
  readonly identity?: Identity;
  /** How long `stop()` waits for calls in flight before cancelling them. @default 25000 */
  readonly gracePeriodMs?: number;
}

export interface StopResult {
  /** True when every call in flight finished within the grace period. */
  readonly drained: boolean;
  /** Who calls in flight when the stop began. */
  readonly inFlightAtStop: number;
  /** Milliseconds from the stop to the server being closed. */
  readonly stopMs: number;
}

export interface WhoamiServer {
  /** The bound address, `host:port`. */
  readonly address: string;
  readonly port: number;
  readonly startedAt: Date;
  readonly identity: Identity;
  /** Sets the health status of the server as a whole ('') and of `whoami.v1.WhoAmI`. */
  setServing(serving: boolean): void;
  /** Who calls being answered right now. */
  inFlight(): number;
  /** Graceful stop (see the module comment); idempotent: every call returns the same promise. */
  stop(): Promise<StopResult>;
  /** Cancels everything at once. */
  forceStop(): void;
}

export async function startWhoamiServer(options: WhoamiServerOptions = {}): Promise<WhoamiServer> {
  const host = options.host ?? SERVER_DEFAULTS.host;
  const gracePeriodMs = options.gracePeriodMs ?? SERVER_DEFAULTS.gracePeriodMs;
  const identity = options.identity ?? identityFromEnv();
  const startedAt = new Date();
  const server = new grpc.Server();

  let inFlight = 0;
  const handlers: WhoAmIHandlers = {
    Who(call, callback) {
      const reply: WhoReply = { ...identity, startedAt: startedAt.toISOString() };
      const delayMs = Math.min(call.request.delayMs, MAX_DELAY_MS);
      if (delayMs <= 0) {
        callback(null, reply);
        return;
      }
      inFlight++;
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        inFlight--;
        return true;
      };
      const timer = setTimeout(() => {
        if (finish()) callback(null, reply);
      }, delayMs);
      call.on('cancelled', () => {
        clearTimeout(timer);
        finish();
      });
    },
  };
  server.addService(whoamiPackage().whoami.v1.WhoAmI.service, handlers);
  const serving = addHealthAndReflection(server, {
    services: [WHOAMI_SERVICE], initiallyServing: true, reflected: reflectedPackageDefinition(), gracePeriodMs,
  });
  const port = await bindInsecure(server, host, options.port ?? SERVER_DEFAULTS.port);

  let stopping: Promise<StopResult> | undefined;
  return {
    address: joinHostPort(host, port),
    port,
    startedAt,
    identity,
    setServing: (on) => serving.setServing(on),
    inFlight: () => inFlight,
    forceStop: () => serving.forceStop(),
    stop() {
      const inFlightAtStop = inFlight;
      stopping ??= serving.stop().then((r) => ({ drained: r.drained, inFlightAtStop, stopMs: r.stopMs }));
      return stopping;
    },
  };
}
