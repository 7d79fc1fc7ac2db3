/**
 * A whoami.v1.WhoAmI server that fails every second call (status UNAVAILABLE, "injected failure"),
 * for proving that a Locust run counts failures and exits non-zero. Listens on 127.0.0.1, port 0.
 */
import * as grpc from '@grpc/grpc-js';
import { identityFromEnv } from '../grpc/identity';
import { WhoAmIHandlers, whoamiPackage } from '../grpc/proto';

export const INJECTED_FAILURE = 'injected failure';

export interface HalfFailingServer {
  readonly address: string;
  /** Calls answered OK and calls failed so far. */
  counts(): { ok: number; failed: number };
  stop(): void;
}

export async function startHalfFailingServer(): Promise<HalfFailingServer> {
  const server = new grpc.Server();
  const identity = identityFromEnv({});
  const startedAt = new Date().toISOString();
  let calls = 0;
  let ok = 0;
  let failed = 0;
  const handlers: WhoAmIHandlers = {
    Who(_call, callback) {
      calls += 1;
      if (calls % 2 === 0) {
        failed += 1;
        callback({ code: grpc.status.UNAVAILABLE, details: INJECTED_FAILURE });
        return;
      }
      ok += 1;
      callback(null, { ...identity, startedAt });
    },
  };
  server.addService(whoamiPackage().whoami.v1.WhoAmI.service, handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    address: `127.0.0.1:${port}`,
    counts: () => ({ ok, failed }),
    stop: () => server.forceShutdown(),
  };
}
