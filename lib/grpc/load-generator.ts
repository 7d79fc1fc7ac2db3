/**
 * The load generator: `concurrency` workers call `Who` on the targets (a random target per call, as the
 * fleet article's loop does, or round-robin) until `requests` calls were made, `durationMs` passed or
 * `signal` aborted, optionally paced to `ratePerSecond` calls per second in total.
 *
 * A dead or dying target never ends the run: its calls fail with their gRPC status, are counted, and
 * the workers go on.
 */
import * as grpc from '@grpc/grpc-js';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'timers/promises';
import { WhoAmIClient, WhoReply__Output, whoamiClient } from './proto';
import { LoadReport, LoadStats } from './stats';

export const LOAD_DEFAULTS = {
  concurrency: 10,
  timeoutMs: 5000,
  progressIntervalMs: 5000,
} as const;

export interface LoadOptions {
  /** `host:port` of every server to call. */
  readonly targets: readonly string[];
  /** Stop after this many calls. */
  readonly requests?: number;
  /** Stop issuing calls after this long (calls in flight then finish). */
  readonly durationMs?: number;
  /** Calls in flight at once. @default 10 */
  readonly concurrency?: number;
  /** Calls per second over all workers. @default as fast as the workers go */
  readonly ratePerSecond?: number;
  /** Cycle through the targets in order. @default a random target per call */
  readonly roundRobin?: boolean;
  /** Deadline of each call. @default 5000 */
  readonly timeoutMs?: number;
  /** Stops the run early (Ctrl-C); the report then says `interrupted`. Without a bound, the only way to stop. */
  readonly signal?: AbortSignal;
  /** Called every `progressIntervalMs` with the figures so far. */
  readonly onProgress?: (report: LoadReport) => void;
  /** @default 5000 */
  readonly progressIntervalMs?: number;
}

type CallResult = { ok: true; reply: WhoReply__Output } | { ok: false; status: string };

function callWho(client: WhoAmIClient, timeoutMs: number): Promise<CallResult> {
  return new Promise((resolve) => {
    client.Who({}, { deadline: Date.now() + timeoutMs }, (err, reply) => {
      if (err) resolve({ ok: false, status: grpc.status[err.code] ?? String(err.code) });
      else if (!reply) resolve({ ok: false, status: 'INTERNAL' });
      else resolve({ ok: true, reply });
    });
  });
}

/** The pod a reply came from, as the report names it. */
export function podOf(reply: WhoReply__Output): string {
  const pod = reply.podName || reply.hostname;
  return reply.namespace ? `${reply.namespace}/${pod}` : pod;
}

function validate(options: LoadOptions): void {
  if (options.targets.length === 0) throw new Error('no targets to call');
  const positiveInt = (name: string, v: number | undefined): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('requests', options.requests);
  positiveInt('concurrency', options.concurrency);
  positiveInt('durationMs', options.durationMs);
  positiveInt('timeoutMs', options.timeoutMs);
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
    throw new Error(`ratePerSecond must be positive, got ${options.ratePerSecond}`);
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  validate(options);
  const targets = [...options.targets];
  const concurrency = options.concurrency ?? LOAD_DEFAULTS.concurrency;
  const timeoutMs = options.timeoutMs ?? LOAD_DEFAULTS.timeoutMs;
  const clients = new Map(targets.map((t) => [t, whoamiClient(t)] as const));
  const stats = new LoadStats(targets, concurrency);
  const start = Date.now();
  const stopAt = options.durationMs !== undefined ? start + options.durationMs : Infinity;
  const signal = options.signal;

  // Aborted when the run must stop (the caller's signal, or the duration elapsed); wakes paced workers.
  const stopController = new AbortController();
  const stopOn = (): void => stopController.abort();
  if (signal?.aborted) stopOn();
  signal?.addEventListener('abort', stopOn, { once: true });
  const durationTimer = Number.isFinite(stopAt) ? setTimeout(stopOn, stopAt - start) : undefined;

  let issued = 0;
  let nextTarget = 0;
  const mustStop = (): boolean =>
    stopController.signal.aborted || (options.requests !== undefined && issued >= options.requests) || Date.now() >= stopAt;
  const pick = (): string => (options.roundRobin
    ? targets[nextTarget++ % targets.length]
    : targets[Math.floor(Math.random() * targets.length)]);

  // Pacing: call k (counted over all workers) starts no earlier than start + k / rate.
  let slots = 0;
  const intervalMs = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;
  const waitForSlot = async (): Promise<void> => {
    const due = start + slots++ * intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: stopController.signal }).catch(() => undefined);
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (mustStop()) return;
      // Count the call before waiting for its slot, so that no worker waits for a call past the bound.
      issued++;
      if (intervalMs > 0) {
        await waitForSlot();
        if (stopController.signal.aborted || Date.now() >= stopAt) return;
      }
      const target = pick();
      const began = process.hrtime.bigint();
      const result = await callWho(clients.get(target)!, timeoutMs);
      if (result.ok) {
        stats.recordSuccess(target, Number(process.hrtime.bigint() - began) / 1000, podOf(result.reply));
      } else {
        stats.recordFailure(target, result.status);
        // Calls to a target in TRANSIENT_FAILURE fail without touching the network: let timers and
        // I/O run so that a run against dead targets still notices its deadline and its signal.
        await yieldToEventLoop();
      }
    }
  };

  const progress = options.onProgress
    ? setInterval(() => options.onProgress!(stats.report()), options.progressIntervalMs ?? LOAD_DEFAULTS.progressIntervalMs)
    : undefined;
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    stats.finish();
    if (progress) clearInterval(progress);
    if (durationTimer) clearTimeout(durationTimer);
    signal?.removeEventListener('abort', stopOn);
    for (const client of clients.values()) client.close();
  }
  return stats.report(signal?.aborted ?? false);
}
