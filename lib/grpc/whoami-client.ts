/**
 * One call to one whoami server: `Who`, or a grpc.health.v1 `Check`. Outcomes map to exit codes that
 * follow grpc_health_probe's, so scripts written for one work with the other.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthStatus, WhoReply__Output, healthClient, whoamiClient } from './proto';

/** Exit codes of `npm run whoami` (grpc_health_probe uses the same numbers). */
export const EXIT = {
  /** Who answered, or health is SERVING. */
  ANSWERED: 0,
  /** Bad command-line arguments. */
  USAGE: 1,
  /** No connection within the timeout. */
  UNREACHABLE: 2,
  /** Connected, but the call failed (its gRPC status is printed). */
  CALL_FAILED: 3,
  /** Health answered, with a status other than SERVING. */
  NOT_SERVING: 4,
} as const;

export type Outcome =
  | { readonly kind: 'answered'; readonly reply: WhoReply__Output }
  | { readonly kind: 'health'; readonly status: HealthStatus }
  | { readonly kind: 'unreachable'; readonly message: string }
  | { readonly kind: 'failed'; readonly code: grpc.status; readonly details: string };

export interface CallOptions {
  /** Budget for connecting and the call together. */
  readonly timeoutMs: number;
}

function withClient<C extends grpc.Client>(
  client: C,
  timeoutMs: number,
  call: (client: C, deadline: Date) => Promise<Outcome>,
): Promise<Outcome> {
  const deadline = new Date(Date.now() + timeoutMs);
  return new Promise<Outcome>((resolve) => {
    client.waitForReady(deadline, (err) => {
      if (err) {
        resolve({ kind: 'unreachable', message: err.message });
        return;
      }
      call(client, deadline).then(resolve, (e: Error) => resolve({ kind: 'failed', code: grpc.status.UNKNOWN, details: e.message }));
    });
  }).finally(() => client.close());
}

function failed(err: grpc.ServiceError | null): Outcome {
  return err
    ? { kind: 'failed', code: err.code, details: err.details }
    : { kind: 'failed', code: grpc.status.INTERNAL, details: 'the server sent no reply' };
}

/** Calls `Who` on `target`; `delayMs` asks the server to wait that long before answering. */
export function callWho(target: string, options: CallOptions & { readonly delayMs?: number }): Promise<Outcome> {
  return withClient(whoamiClient(target), options.timeoutMs, (client, deadline) => new Promise((resolve) => {
    client.Who({ delayMs: options.delayMs ?? 0 }, { deadline }, (err, reply) => {
      resolve(err || !reply ? failed(err) : { kind: 'answered', reply });
    });
  }));
}

/** Asks `target`'s grpc.health.v1 service about `service` ('' = the server as a whole). */
export function checkHealth(target: string, options: CallOptions & { readonly service?: string }): Promise<Outcome> {
  return withClient(healthClient(target), options.timeoutMs, (client, deadline) => new Promise((resolve) => {
    client.check({ service: options.service ?? '' }, { deadline }, (err, reply) => {
      resolve(err || !reply ? failed(err) : { kind: 'health', status: reply.status });
    });
  }));
}

export function exitCodeOf(outcome: Outcome): number {
  switch (outcome.kind) {
    case 'answered': return EXIT.ANSWERED;
    case 'health': return outcome.status === 'SERVING' ? EXIT.ANSWERED : EXIT.NOT_SERVING;
    case 'unreachable': return EXIT.UNREACHABLE;
    case 'failed': return EXIT.CALL_FAILED;
  }
}

/** The reply as a plain object, for `--json`. */
export function replyToJson(reply: WhoReply__Output): Record<string, string> {
  return {
    hostname: reply.hostname, podName: reply.podName, namespace: reply.namespace, podIp: reply.podIp,
    nodeName: reply.nodeName, version: reply.version, startedAt: reply.startedAt,
  };
}

/** The reply as aligned `label  value` lines. */
export function formatReply(reply: WhoReply__Output): string {
  const json = replyToJson(reply);
  const rows: [string, string][] = [
    ['pod', json.podName], ['namespace', json.namespace || '(none)'], ['pod IP', json.podIp], ['node', json.nodeName],
    ['hostname', json.hostname], ['version', json.version], ['started', json.startedAt],
  ];
  return rows.map(([label, value]) => `${label.padEnd(10)} ${value}`).join('\n');
}

/** One line describing an outcome that is not an answer. */
export function describeProblem(target: string, outcome: Outcome): string {
  switch (outcome.kind) {
    case 'unreachable': return `${target} is unreachable: ${outcome.message}`;
    case 'failed': return `${target}: call failed: ${grpc.status[outcome.code] ?? outcome.code}: ${outcome.details}`;
    case 'health': return `${target}: ${outcome.status}`;
    case 'answered': return `${target}: answered`;
  }
}
