/**
 * The real server CLI in a child process: what the kubelet sees when it sends SIGTERM.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthStatus, WhoAmIClient, WhoReply__Output, healthClient, whoamiClient } from './proto';
import { ServerProcess, killAllChildren, spawnTs, startServerProcess, SERVER_CLI } from './processes';

const FRESH = { 'grpc.use_local_subchannel_pool': 1 };

afterAll(killAllChildren);

function ready(client: grpc.Client): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
}

function who(client: WhoAmIClient, delayMs: number, timeoutMs = 20_000): Promise<WhoReply__Output> {
  return new Promise((resolve, reject) => {
    client.Who({ delayMs }, { deadline: Date.now() + timeoutMs }, (err, reply) => (err ? reject(err) : resolve(reply!)));
  });
}

/** Starts a health Watch and resolves once the first status (SERVING) arrived. */
async function watchHealth(target: string): Promise<{ statuses: HealthStatus[]; ended: Promise<grpc.StatusObject>; client: grpc.Client }> {
  const client = healthClient(target, FRESH);
  const stream = client.watch({ service: '' });
  const statuses: HealthStatus[] = [];
  const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
  stream.on('error', () => undefined);
  await new Promise<void>((resolve) => stream.on('data', (m: { status: HealthStatus }) => {
    statuses.push(m.status);
    resolve();
  }));
  return { statuses, ended, client };
}

function withinSeconds<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took more than ${seconds} s`)), seconds * 1000); }),
  ]).finally(() => clearTimeout(timer));
}

function logLines(server: ServerProcess): Record<string, unknown>[] {
  return server.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('SIGTERM: health NOT_SERVING at once, new connections refused, the call in flight completes, exit 0', async () => {
  const server = await startServerProcess({ POD_NAME: 'service-007', POD_NAMESPACE: 'fourhundred' }, ['--grace-period', '15s']);
  const health = await watchHealth(server.address);
  const client = whoamiClient(server.address, FRESH);
  try {
    expect(health.statuses).toEqual(['SERVING']);
    await ready(client);
    const inFlight = who(client, 1500);
    await new Promise((r) => setTimeout(r, 300));

    server.process.kill('SIGTERM');
    expect(await withinSeconds(health.ended, 5, 'the health watch ending')).toMatchObject({ code: grpc.status.OK });
    expect(health.statuses).toEqual(['SERVING', 'NOT_SERVING']);

    const newcomer = whoamiClient(server.address, FRESH);
    await expect(who(newcomer, 0, 2000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    newcomer.close();

    expect(await inFlight).toMatchObject({ podName: 'service-007', namespace: 'fourhundred' });
    expect(await withinSeconds(server.exited, 10, 'the server exiting')).toEqual({ code: 0, signal: null });
    // One line when it started, one when it stopped; none per request.
    const lines = logLines(server);
    expect(lines.map((l) => l.msg)).toEqual(['whoami server started', 'whoami server stopped']);
    expect(lines[1]).toMatchObject({ signal: 'SIGTERM', drained: true, inFlightAtStop: 1 });
    expect(server.stderr()).toBe('');
  } finally {
    client.close();
    health.client.close();
  }
});

test('a second signal cancels the calls still in flight and the server exits 1', async () => {
  const server = await startServerProcess();
  const client = whoamiClient(server.address, FRESH);
  try {
    await ready(client);
    const inFlight = who(client, 10_000).then(() => 'answered', (err: grpc.ServiceError) => grpc.status[err.code]);
    await new Promise((r) => setTimeout(r, 300));
    server.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    server.process.kill('SIGINT');
    expect(await withinSeconds(server.exited, 10, 'the server exiting')).toEqual({ code: 1, signal: null });
    expect(await inFlight).not.toBe('answered');
    expect(logLines(server)[1]).toMatchObject({ msg: 'whoami server stopped', signal: 'SIGTERM', drained: false, inFlightAtStop: 1 });
  } finally {
    client.close();
  }
});

test('a port already in use: one error line and exit 1', async () => {
  const first = await startServerProcess();
  const second = spawnTs(SERVER_CLI, ['--host', '127.0.0.1', '--port', String(first.port)]);
  expect(await withinSeconds(second.exited, 15, 'the second server exiting')).toEqual({ code: 1, signal: null });
  expect(JSON.parse(second.stdout())).toMatchObject({ level: 'error', msg: 'whoami server failed to start', address: `127.0.0.1:${first.port}` });
  first.process.kill('SIGTERM');
  expect(await withinSeconds(first.exited, 10, 'the first server exiting')).toEqual({ code: 0, signal: null });
});
