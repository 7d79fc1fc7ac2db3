/**
 * grpc_user.py in Debian's Python (its helpers and its errors), and `loadtest:local` interrupted:
 * Ctrl-C stops the master (which writes its reports) and leaves no Locust process behind.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { killAllChildren, spawnTs, startServerProcess } from '../grpc/processes';
import { LOCUST_DIR, STUBS_ENV, WHOAMI_LOCUSTFILE, generateStubs, locustPython, parseStatsCsv } from './locust';

let tmp: string;
let stubsDir: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-grpc-user-int-'));
  stubsDir = path.join(tmp, 'stubs');
  await generateStubs(stubsDir);
}, 60_000);

afterAll(async () => {
  await killAllChildren();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs `script` in the Locust interpreter with grpc_user.py importable; resolves with its exit code and output. */
function python(script: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(locustPython(), ['-c', script], { cwd: LOCUST_DIR, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

test('parse_target takes <host>:<port> and refuses URLs, missing ports and ports out of range, naming the host', async () => {
  const r = await python(`
import json
from grpc_user import parse_target
out = {}
for host in ["127.0.0.1:10000", "[::1]:10000", "whoami.fourhundred.svc:10000", "http://127.0.0.1:10000", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ""]:
    try:
        out[host] = parse_target(host)
    except Exception as e:
        out[host] = type(e).__name__ + ": " + str(e)
print(json.dumps(out))
`);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({
    '127.0.0.1:10000': '127.0.0.1:10000',
    '[::1]:10000': '[::1]:10000',
    'whoami.fourhundred.svc:10000': 'whoami.fourhundred.svc:10000',
    'http://127.0.0.1:10000': "LocustError: host 'http://127.0.0.1:10000' is a URL; a gRPC target is <host>:<port> (e.g. 127.0.0.1:10000)",
    '127.0.0.1': "LocustError: host '127.0.0.1' is not <host>:<port> with a port in 1-65535",
    '127.0.0.1:0': "LocustError: host '127.0.0.1:0' is not <host>:<port> with a port in 1-65535",
    '127.0.0.1:70000': "LocustError: host '127.0.0.1:70000' is not <host>:<port> with a port in 1-65535",
    '': 'LocustError: no target: start Locust with --host <host>:<port> (e.g. --host 127.0.0.1:10000)',
  });
}, 40_000);

test('rpc_name, GrpcCallError and the version placeholder of an unversioned Locust', async () => {
  const r = await python(`
import json, grpc, locust, locust.runners
from grpc_user import GrpcCallError, UNKNOWN_LOCUST_VERSION, rpc_name
print(json.dumps({
  "name": rpc_name("/whoami.v1.WhoAmI/Who"),
  "bytes": rpc_name(b"/todos.v1.Todos/GetTodos"),
  "error": str(GrpcCallError(grpc.StatusCode.UNAVAILABLE, "injected failure")),
  "bare": str(GrpcCallError(grpc.StatusCode.DEADLINE_EXCEEDED, "")),
  "installed": locust.__version__,
  "announced": locust.runners.__version__,
  "placeholder": UNKNOWN_LOCUST_VERSION,
}))
`);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out).toMatchObject({
    name: 'whoami.v1.WhoAmI/Who', bytes: 'todos.v1.Todos/GetTodos',
    error: 'UNAVAILABLE: injected failure', bare: 'DEADLINE_EXCEEDED',
  });
  // An install that knows its version announces it; Debian's empty one gets the placeholder.
  expect(out.announced).toBe(out.installed === '' ? out.placeholder : out.installed);
}, 40_000);

test('a locustfile without its stubs stops at once and says how to generate them', async () => {
  const empty = path.join(tmp, 'no-stubs');
  fs.mkdirSync(empty);
  const r = await python(`
import runpy
runpy.run_path(${JSON.stringify(WHOAMI_LOCUSTFILE)})
`, { [STUBS_ENV]: empty });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(`no stubs for protos/whoami.proto in ${empty}: generate them with \`npm run loadtest:stubs\``);
}, 40_000);

test('loadtest:local interrupted (SIGINT): the master writes its reports, every Locust process is gone', async () => {
  const server = await startServerProcess();
  // A copy of the locustfile under a unique path: every Locust process of this run names it in its arguments.
  const locustfile = path.join(tmp, 'interrupted_locustfile.py');
  fs.copyFileSync(WHOAMI_LOCUSTFILE, locustfile);
  fs.copyFileSync(path.join(LOCUST_DIR, 'grpc_user.py'), path.join(tmp, 'grpc_user.py'));
  const out = path.join(tmp, 'interrupted');
  const cli = spawnTs(path.join(__dirname, 'cli.ts'), ['--target', server.address, '--workers', '2', '--run-time', '5m',
    '--locustfile', locustfile, '--out', out]);
  const locustProcesses = (): string[] => execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n').filter((l) => l.includes(locustfile) && l.includes('-m locust'));
  try {
    // Started and calling: wait until the master's log shows the users spawned.
    const masterLog = path.join(out, 'master.log');
    const deadline = Date.now() + 60_000;
    while (!(fs.existsSync(masterLog) && /All users spawned/.test(fs.readFileSync(masterLog, 'utf8')))) {
      if (Date.now() > deadline) throw new Error(`the run did not start\n${cli.stderr()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(locustProcesses()).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 3000));
    const began = Date.now();
    cli.process.kill('SIGINT');
    const exit = await cli.exited;
    expect(Date.now() - began).toBeLessThan(20_000);
    expect(exit.code).toBe(0);
    expect(cli.stdout()).toContain('the run was interrupted');
    expect(locustProcesses()).toEqual([]);
    const who = parseStatsCsv(fs.readFileSync(path.join(out, 'locust_stats.csv'), 'utf8')).find((r) => r.name === 'whoami.v1.WhoAmI/Who');
    expect(who?.requests).toBeGreaterThan(0);
  } finally {
    server.process.kill('SIGTERM');
  }
}, 120_000);
