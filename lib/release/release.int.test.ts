/**
 * `npm run release` end to end, as a process, on a temporary project (a copy of envs/dev.env with the
 * todo-api keys), with a fake kubectl first on PATH (fake-kubectl.js: records calls, simulates rollout,
 * Job success, failure and hangs) and an injected synth command (fake-synth.js).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO, killAllChildren, runCli } from '../grpc/processes';

const MAIN = path.join(REPO, 'lib/release/main.ts');
const FAKE_SYNTH = path.join(REPO, 'lib/release/fake-synth.js');
const TODO_KEYS = '# todo-api blue/green\nTODO_API_ACTIVE_COLOR=blue\nTODO_API_BLUE_TAG=1.0.0\nTODO_API_GREEN_TAG=\n';
// envs/dev.env without its own todo-api keys, then the test's.
const ORIGINAL = `${fs.readFileSync(path.join(REPO, 'envs/dev.env'), 'utf8').replace(/^TODO_API_.*\n/gm, '')}${TODO_KEYS}`;

let dir: string;
let envFile: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'release-'));
  fs.mkdirSync(path.join(dir, 'envs'));
  fs.mkdirSync(path.join(dir, 'bin'));
  envFile = path.join(dir, 'envs/dev.env');
  fs.writeFileSync(envFile, ORIGINAL);
  fs.copyFileSync(path.join(REPO, 'lib/release/fake-kubectl.js'), path.join(dir, 'bin/kubectl'));
  fs.chmodSync(path.join(dir, 'bin/kubectl'), 0o755);
});

afterEach(async () => {
  await killAllChildren();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Call { args: string[]; stdin: string }

function calls(): Call[] {
  const log = path.join(dir, 'kubectl.log');
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Call) : [];
}

function synths(): { active: string; blue: string; green: string }[] {
  const log = path.join(dir, 'synth.log');
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
}

/**
 * The calls as command lines. A Job is waited for by two concurrent `kubectl wait`s (complete, failed);
 * the one that is not met is stopped, possibly before it has even started, so the waits on one Job show
 * as one line, `wait job/<name>` (the release's own output proves both were started).
 */
function lines(): string[] {
  const all: string[] = [];
  for (const c of calls()) {
    const line = c.args[0] === 'wait' ? `wait ${c.args[2]}` : c.args.join(' ');
    if (!(line.startsWith('wait') && all.at(-1) === line)) all.push(line);
  }
  return all;
}

function release(args: string[], fake: NodeJS.ProcessEnv = {}) {
  return runCli(MAIN, ['-C', dir, '--env', 'dev', '--synth', `node ${FAKE_SYNTH} <env>`, '--rollout-timeout', '20s', '--job-timeout', '20s', ...args], {
    PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH}`,
    FAKE_KUBECTL_LOG: path.join(dir, 'kubectl.log'),
    FAKE_KUBECTL_STATE: path.join(dir, 'kubectl.state'),
    FAKE_SYNTH_LOG: path.join(dir, 'synth.log'),
    ...fake,
  }, 60_000);
}

const SEED_AND_SMOKE_110 = [
  'get configmap todo-api-seeded -n todo-api --ignore-not-found -o name',
  'delete job todo-api-seed-1.1.0 -n todo-api --ignore-not-found --wait=true',
  'create -f -',
  'wait job/todo-api-seed-1.1.0',
  'create configmap todo-api-seeded -n todo-api --from-literal=job=todo-api-seed-1.1.0 --from-literal=tag=1.1.0',
  'delete job todo-api-smoke-1.1.0 -n todo-api --ignore-not-found --wait=true',
  'create -f -',
  'wait job/todo-api-smoke-1.1.0',
];

test('first release: the idle colour gets the tag, rolls out, is seeded and smoke-tested, then serves; the env file changes in two values only', async () => {
  const r = await release(['--tag', '1.1.0']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(lines()).toEqual([
    'apply -k dist/dev',
    'rollout status deployment/todo-api-green -n todo-api --timeout=20s',
    ...SEED_AND_SMOKE_110,
    'apply -k dist/dev',
  ]);
  // The Jobs were created from the synthesized manifests.
  const created = calls().filter((c) => c.args[0] === 'create' && c.args[1] === '-f').map((c) => JSON.parse(c.stdin));
  expect(created.map((j) => [j.kind, j.metadata.name, j.metadata.labels['app.kubernetes.io/component']])).toEqual([
    ['Job', 'todo-api-seed-1.1.0', 'seed'], ['Job', 'todo-api-smoke-1.1.0', 'smoke'],
  ]);
  // The output's Jobs are suspended (apply creates them without running them); the release's runs are not.
  expect(fs.readFileSync(path.join(dir, 'dist/dev/todo-api.k8s.yaml'), 'utf8')).toContain('suspend: true');
  expect(created.map((j) => j.spec.suspend)).toEqual([false, false]);
  // Synth saw the tag first (blue still active), then the flip.
  expect(synths()).toEqual([{ active: 'blue', blue: '1.0.0', green: '1.1.0' }, { active: 'green', blue: '1.0.0', green: '1.1.0' }]);
  expect(fs.readFileSync(envFile, 'utf8')).toBe(ORIGINAL.replace('TODO_API_ACTIVE_COLOR=blue', 'TODO_API_ACTIVE_COLOR=green').replace('TODO_API_GREEN_TAG=\n', 'TODO_API_GREEN_TAG=1.1.0\n'));
  expect(fs.readFileSync(path.join(dir, 'dist/dev/todo-api.k8s.yaml'), 'utf8')).toContain('mega8s.io/color: green');
  // Both ends of each Job were waited for.
  for (const job of ['todo-api-seed-1.1.0', 'todo-api-smoke-1.1.0']) {
    for (const condition of ['complete', 'failed']) expect(r.stdout).toContain(`$ kubectl wait --for=condition=${condition} job/${job} -n todo-api --timeout=20s`);
  }
  expect(r.stdout).toContain('job.batch/todo-api-smoke-1.1.0 condition met');
  // Every step says what it does.
  expect(r.stdout).toContain('release todo-api:1.1.0 in dev: blue (1.0.0) serves; green (no tag) is idle and gets 1.1.0');
  for (let i = 1; i <= 9; i++) expect(r.stdout).toContain(`[${i}/9] `);
  expect(r.stdout).toContain('configmap/todo-api-seeded is absent: first release, seeding');
  expect(r.stdout).toContain('released: green (1.1.0) serves todo-api in dev; blue (1.0.0) is idle and is what --rollback returns to.');

  // The next release goes to blue and skips the seed; then a rollback returns to green.
  const firstCalls = lines().length;
  const again = await release(['--tag', '1.2.0']);
  expect(again.code).toBe(0);
  const second = lines().slice(firstCalls);
  expect(second).toEqual([
    'apply -k dist/dev',
    'rollout status deployment/todo-api-blue -n todo-api --timeout=20s',
    'get configmap todo-api-seeded -n todo-api --ignore-not-found -o name',
    'delete job todo-api-smoke-1.2.0 -n todo-api --ignore-not-found --wait=true',
    'create -f -',
    'wait job/todo-api-smoke-1.2.0',
    'apply -k dist/dev',
  ]);
  expect(again.stdout).toContain('configmap/todo-api-seeded exists: the database was seeded by an earlier release; no seed');
  expect(fs.readFileSync(envFile, 'utf8')).toContain('TODO_API_ACTIVE_COLOR=blue\nTODO_API_BLUE_TAG=1.2.0\nTODO_API_GREEN_TAG=1.1.0\n');

  const secondCalls = lines().length;
  const back = await release(['--rollback']);
  expect(back.code).toBe(0);
  expect(lines().slice(secondCalls)).toEqual([
    'rollout status deployment/todo-api-green -n todo-api --timeout=20s',
    'get deployment/todo-api-green -n todo-api -o jsonpath={.status.readyReplicas}',
    'apply -k dist/dev',
  ]);
  expect(fs.readFileSync(envFile, 'utf8')).toContain('TODO_API_ACTIVE_COLOR=green\nTODO_API_BLUE_TAG=1.2.0\nTODO_API_GREEN_TAG=1.1.0\n');
  expect(back.stdout).toContain('rolled back: green (1.1.0) serves todo-api in dev; blue (1.2.0) is idle.');
});

test('a failing smoke Job stops the release: the env file gets its bytes back, dist/ is re-synthesized, nothing else is applied', async () => {
  const r = await release(['--tag', '1.1.0'], { FAKE_JOB_SMOKE: 'failed' });
  expect(r.code).toBe(1);
  expect(fs.readFileSync(envFile, 'utf8')).toBe(ORIGINAL);
  expect(lines()).toEqual(['apply -k dist/dev', 'rollout status deployment/todo-api-green -n todo-api --timeout=20s', ...SEED_AND_SMOKE_110]);
  expect(synths().at(-1)).toEqual({ active: 'blue', blue: '1.0.0', green: '' });
  expect(r.stdout).toContain('FAILED at [6/9] smoke-test todo-api-green through the preview Service');
  expect(r.stderr).toContain('the smoke Job job/todo-api-smoke-1.1.0 failed; its logs: kubectl logs job/todo-api-smoke-1.1.0 -n todo-api');
  expect(r.stderr).toContain('envs/dev.env and dist/dev/ are as they were.');
  expect(r.stderr).toContain('blue (1.0.0) keeps serving; todo-api-green may run 1.1.0, which takes no traffic.');

  // The seed was recorded, so the retry skips it.
  const before = lines().length;
  const retry = await release(['--tag', '1.1.1']);
  expect(retry.code).toBe(0);
  expect(lines().slice(before)).toEqual([
    'apply -k dist/dev',
    'rollout status deployment/todo-api-green -n todo-api --timeout=20s',
    'get configmap todo-api-seeded -n todo-api --ignore-not-found -o name',
    'delete job todo-api-smoke-1.1.1 -n todo-api --ignore-not-found --wait=true',
    'create -f -',
    'wait job/todo-api-smoke-1.1.1',
    'apply -k dist/dev',
  ]);
});

test('a rollout that does not finish stops before seed and smoke', async () => {
  const r = await release(['--tag', '1.1.0'], { FAKE_ROLLOUT: 'fail' });
  expect(r.code).toBe(1);
  expect(lines()).toEqual(['apply -k dist/dev', 'rollout status deployment/todo-api-green -n todo-api --timeout=20s']);
  expect(r.stdout).toContain('error: deployment "todo-api-green" exceeded its progress deadline');
  expect(r.stderr).toContain('release stopped at wait for todo-api-green to be rolled out: rollout of todo-api-green failed (exit 1)');
  expect(fs.readFileSync(envFile, 'utf8')).toBe(ORIGINAL);
});

test('a failed seed Job records no seed and runs no smoke', async () => {
  const r = await release(['--tag', '1.1.0'], { FAKE_JOB_SEED: 'failed' });
  expect(r.code).toBe(1);
  expect(lines()).toEqual(['apply -k dist/dev', 'rollout status deployment/todo-api-green -n todo-api --timeout=20s', ...SEED_AND_SMOKE_110.slice(0, 4)]);
  expect(r.stderr).toContain('the seed Job job/todo-api-seed-1.1.0 failed');
  expect(fs.readFileSync(envFile, 'utf8')).toBe(ORIGINAL);
});

test('a Job that neither completes nor fails within --job-timeout stops the release', async () => {
  const r = await release(['--tag', '1.1.0', '--job-timeout', '1s'], { FAKE_JOB_SEED: 'hang' });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('the seed Job job/todo-api-seed-1.1.0 did not finish within 1s');
  expect(fs.readFileSync(envFile, 'utf8')).toBe(ORIGINAL);
});

test('a failure after the flip restores the env file and applies the old output again, so the active colour serves', async () => {
  const r = await release(['--tag', '1.1.0'], { FAKE_APPLY_FAIL_AT: '2' });
  expect(r.code).toBe(1);
  expect(lines()).toEqual(['apply -k dist/dev', 'rollout status deployment/todo-api-green -n todo-api --timeout=20s', ...SEED_AND_SMOKE_110, 'apply -k dist/dev', 'apply -k dist/dev']);
  expect(synths().map((s) => s.active)).toEqual(['blue', 'green', 'blue']);
  expect(synths().at(-1)).toEqual({ active: 'blue', blue: '1.0.0', green: '' });
  expect(fs.readFileSync(envFile, 'utf8')).toBe(ORIGINAL);
  expect(r.stderr).toContain('envs/dev.env and dist/dev/ are as they were and were applied again: blue serves.');
});

test('a rollback to a colour without ready pods is refused and changes nothing', async () => {
  const withPrevious = ORIGINAL.replace('TODO_API_GREEN_TAG=\n', 'TODO_API_GREEN_TAG=0.9.0\n');
  fs.writeFileSync(envFile, withPrevious);
  const r = await release(['--rollback'], { FAKE_READY_REPLICAS: '0' });
  expect(r.code).toBe(1);
  expect(lines()).toEqual(['rollout status deployment/todo-api-green -n todo-api --timeout=20s', 'get deployment/todo-api-green -n todo-api -o jsonpath={.status.readyReplicas}']);
  expect(r.stderr).toContain('todo-api-green has no ready pods (is the idle colour scaled to 0?)');
  expect(r.stderr).toContain('blue keeps serving. todo-api-green is not ready');
  expect(fs.readFileSync(envFile, 'utf8')).toBe(withPrevious);
});

test('a failing synth stops before anything is applied', async () => {
  const r = await release(['--tag', '1.1.0'], { FAKE_SYNTH_FAIL_AT: '1' });
  expect(r.code).toBe(1);
  expect(calls()).toEqual([]);
  expect(r.stdout).toContain('synth failed: a check did not pass');
  expect(fs.readFileSync(envFile, 'utf8')).toBe(ORIGINAL);
});

test('--dry-run prints the plan and runs nothing', async () => {
  const r = await release(['--tag', '1.1.0', '--dry-run']);
  expect(r.code).toBe(0);
  expect(calls()).toEqual([]);
  expect(synths()).toEqual([]);
  expect(fs.readFileSync(envFile, 'utf8')).toBe(ORIGINAL);
  expect(r.stdout.split('\n').filter((l) => /^\[\d\/9\]|^ {2}\$/.test(l))).toEqual([
    '[1/9] write the tag into the idle colour (green)',
    '  $ set TODO_API_GREEN_TAG=1.1.0 in envs/dev.env',
    '[2/9] synth dev',
    `  $ node ${FAKE_SYNTH} dev`,
    '[3/9] apply dist/dev',
    '  $ kubectl apply -k dist/dev',
    '[4/9] wait for todo-api-green to be rolled out',
    '  $ kubectl rollout status deployment/todo-api-green -n todo-api --timeout=20s',
    '[5/9] seed the database if it has never been seeded',
    '  $ kubectl get configmap todo-api-seeded -n todo-api (absent: run the Job labelled app.kubernetes.io/component=seed, then create configmap todo-api-seeded)',
    '[6/9] smoke-test todo-api-green through the preview Service',
    '  $ run the Job labelled app.kubernetes.io/component=smoke and wait for it',
    '[7/9] make green the active colour',
    '  $ set TODO_API_ACTIVE_COLOR=green in envs/dev.env',
    '[8/9] synth dev',
    `  $ node ${FAKE_SYNTH} dev`,
    '[9/9] apply dist/dev',
    '  $ kubectl apply -k dist/dev',
  ]);
});

test('bad options exit 2; an env file without the todo-api keys, or nothing to roll back to, exits 1', async () => {
  const noTag = await release([]);
  expect(noTag.code).toBe(2);
  expect(noTag.stderr).toContain('--tag is required (or --rollback)');
  const both = await release(['--rollback', '--tag', '1']);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain('--rollback takes no --tag');
  const badTag = await release(['--tag', '-x']);
  expect(badTag.code).toBe(2);
  expect(badTag.stderr).toContain('--tag "-x" is not an image tag');
  const nothing = await release(['--rollback']);
  expect(nothing.code).toBe(1);
  expect(nothing.stderr).toContain('envs/dev.env: TODO_API_GREEN_TAG is empty: todo-api-green never ran a release, there is nothing to roll back to');
  fs.writeFileSync(envFile, ORIGINAL.replace('TODO_API_ACTIVE_COLOR=blue\n', ''));
  const noKey = await release(['--tag', '1.1.0']);
  expect(noKey.code).toBe(1);
  expect(noKey.stderr).toContain('envs/dev.env: TODO_API_ACTIVE_COLOR is not set: expected blue or green');
  const noEnv = await runCli(MAIN, ['-C', dir, '--env', 'qa', '--tag', '1']);
  expect(noEnv.code).toBe(1);
  expect(noEnv.stderr).toContain('envs/qa.env does not exist: expected one of dev');
  expect(calls()).toEqual([]);
});
