/**
 * The client CLI (`npm run whoami`) against a server in this process: what it prints and its exit codes.
 */
import { identityFromEnv } from './identity';
import { EXIT, callWho, checkHealth, exitCodeOf, formatReply } from './whoami-client';
import { WhoamiServer, startWhoamiServer } from './whoami-server';
import { CLIENT_CLI, closedPort, killAllChildren, runCli } from './processes';

const HOST = { hostname: () => 'build-host', ipv4: () => '192.0.2.7', version: () => '1.0.0' };
let server: WhoamiServer;

beforeAll(async () => {
  server = await startWhoamiServer({
    host: '127.0.0.1', port: 0,
    identity: identityFromEnv({ POD_NAME: 'service-003-xyz', POD_NAMESPACE: 'fourhundred', POD_IP: '10.8.1.3', NODE_NAME: 'node-b' }, HOST),
  });
});
afterAll(async () => {
  await killAllChildren();
  server.forceStop();
});

describe('functions', () => {
  test('callWho / checkHealth outcomes and their exit codes', async () => {
    const answered = await callWho(server.address, { timeoutMs: 5000 });
    expect(answered).toMatchObject({ kind: 'answered', reply: { podName: 'service-003-xyz' } });
    expect(exitCodeOf(answered)).toBe(EXIT.ANSWERED);

    const serving = await checkHealth(server.address, { timeoutMs: 5000 });
    expect(serving).toEqual({ kind: 'health', status: 'SERVING' });
    expect(exitCodeOf(serving)).toBe(EXIT.ANSWERED);

    const unknown = await checkHealth(server.address, { timeoutMs: 5000, service: 'no.such.Service' });
    expect(unknown).toMatchObject({ kind: 'failed', code: 5 });
    expect(exitCodeOf(unknown)).toBe(EXIT.CALL_FAILED);

    const unreachable = await callWho(`127.0.0.1:${await closedPort()}`, { timeoutMs: 500 });
    expect(unreachable.kind).toBe('unreachable');
    expect(exitCodeOf(unreachable)).toBe(EXIT.UNREACHABLE);
    expect(exitCodeOf({ kind: 'health', status: 'NOT_SERVING' })).toBe(EXIT.NOT_SERVING);
  });

  test('formatReply aligns the fields and names an empty namespace', () => {
    const reply = { hostname: 'h', podName: 'p', namespace: '', podIp: '10.0.0.1', nodeName: 'n', version: 'v', startedAt: '2024-05-01T00:00:00.000Z' };
    expect(formatReply(reply)).toBe([
      'pod        p', 'namespace  (none)', 'pod IP     10.0.0.1', 'node       n', 'hostname   h', 'version    v',
      'started    2024-05-01T00:00:00.000Z',
    ].join('\n'));
  });
});

describe('npm run whoami (the CLI)', () => {
  test('answered: prints the reply, exit 0', async () => {
    const text = await runCli(CLIENT_CLI, ['--target', server.address]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toContain('pod        service-003-xyz\nnamespace  fourhundred\npod IP     10.8.1.3\nnode       node-b\n');
    const json = await runCli(CLIENT_CLI, ['--target', server.address, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      hostname: 'build-host', podName: 'service-003-xyz', namespace: 'fourhundred', podIp: '10.8.1.3', nodeName: 'node-b',
      version: '1.0.0', startedAt: server.startedAt.toISOString(),
    });
  });

  test('--health: SERVING exit 0, NOT_SERVING exit 4, unknown service exit 3', async () => {
    expect(await runCli(CLIENT_CLI, ['--target', server.address, '--health'])).toMatchObject({ code: EXIT.ANSWERED, stdout: 'SERVING\n' });
    server.setServing(false);
    try {
      expect(await runCli(CLIENT_CLI, ['--target', server.address, '--health'])).toMatchObject({ code: EXIT.NOT_SERVING, stdout: 'NOT_SERVING\n' });
    } finally {
      server.setServing(true);
    }
    const unknown = await runCli(CLIENT_CLI, ['--target', server.address, '--health', '--service', 'no.such.Service']);
    expect(unknown.code).toBe(EXIT.CALL_FAILED);
    expect(unknown.stderr).toBe(`whoami: ${server.address}: call failed: NOT_FOUND: Health status unknown for service no.such.Service\n`);
  });

  test('unreachable: exit 2 within the timeout', async () => {
    const target = `127.0.0.1:${await closedPort()}`;
    const result = await runCli(CLIENT_CLI, ['--target', target, '--timeout', '1s'], {}, 15_000);
    expect(result.code).toBe(EXIT.UNREACHABLE);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^whoami: ${target} is unreachable: `));
  });

  test('bad arguments: exit 1', async () => {
    const result = await runCli(CLIENT_CLI, ['--target', 'no-port']);
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.stderr).toContain('"no-port" is not a target');
  });
});
