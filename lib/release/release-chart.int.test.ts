/**
 * `npm run release` over the real synth (main.ts) and the real todo-api chart, on a temporary project
 * (a copy of envs/dev.env), with the fake kubectl: the release and the chart agree on the namespace,
 * the Deployments, the Jobs' labels and the suspended Jobs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { REPO, killAllChildren, runCli } from '../grpc/processes';

const MAIN = path.join(REPO, 'lib/release/main.ts');
const SYNTH = `node --require ${require.resolve('tsx/cjs')} ${path.join(REPO, 'main.ts')} --env <env>`;

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'release-chart-'));
  fs.mkdirSync(path.join(dir, 'envs'));
  fs.mkdirSync(path.join(dir, 'bin'));
  const dev = fs.readFileSync(path.join(REPO, 'envs/dev.env'), 'utf8');
  expect(dev).toMatch(/^TODO_API_ACTIVE_COLOR=blue$/m);
  fs.writeFileSync(path.join(dir, 'envs/dev.env'), dev.replace(/^TODO_API_BLUE_TAG=.*$/m, 'TODO_API_BLUE_TAG=1.0.0'));
  fs.copyFileSync(path.join(REPO, 'lib/release/fake-kubectl.js'), path.join(dir, 'bin/kubectl'));
  fs.chmodSync(path.join(dir, 'bin/kubectl'), 0o755);
});

afterEach(async () => {
  await killAllChildren();
  fs.rmSync(dir, { recursive: true, force: true });
});

function calls(): { args: string[]; stdin: string }[] {
  const log = path.join(dir, 'kubectl.log');
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
}

function objects(): any[] {
  return YAML.parseAllDocuments(fs.readFileSync(path.join(dir, 'dist/dev/todo-api.k8s.yaml'), 'utf8')).map((d) => d.toJS());
}

test('a first release with the real chart: green gets the tag, the chart\'s Jobs run unsuspended, then green serves', async () => {
  const r = await runCli(MAIN, ['-C', dir, '--env', 'dev', '--synth', SYNTH, '--tag', '1.1.0', '--rollout-timeout', '20s', '--job-timeout', '20s'], {
    PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH}`,
    FAKE_KUBECTL_LOG: path.join(dir, 'kubectl.log'),
    FAKE_KUBECTL_STATE: path.join(dir, 'kubectl.state'),
  }, 120_000);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const all = calls();
  expect(all.map((c) => c.args.join(' '))).toContain('rollout status deployment/todo-api-green -n todo-api --timeout=20s');
  const created = all.filter((c) => c.args[0] === 'create' && c.args[1] === '-f').map((c) => JSON.parse(c.stdin));
  expect(created.map((j) => j.metadata.labels['app.kubernetes.io/component'])).toEqual(['seed', 'smoke']);
  for (const j of created) {
    expect(j.kind).toBe('Job');
    expect(j.metadata.namespace).toBe('todo-api');
    expect(j.metadata.name).toMatch(/^todo-api-(seed|smoke)-[0-9a-f]{10}$/);
    expect(j.spec.suspend).toBe(false);
    // The release tested the tag it released.
    expect(j.spec.template.spec.containers[0].image).toBe('gcr.io/mega8s-dev/todo-api:1.1.0');
  }
  expect(created[1].spec.template.spec.containers[0].env).toEqual([{ name: 'PREVIEW_TARGET', value: 'todo-api-preview:10000' }]);
  // After the flip: green serves, blue (1.0.0) is the preview, and the Jobs in dist/ are suspended.
  const out = objects();
  const service = (name: string) => out.find((o) => o.kind === 'Service' && o.metadata.name === name);
  expect(service('todo-api').spec.selector['mega8s.io/color']).toBe('green');
  expect(service('todo-api-preview').spec.selector['mega8s.io/color']).toBe('blue');
  expect(out.filter((o) => o.kind === 'Job').map((j) => j.spec.suspend)).toEqual([true, true]);
  const env = fs.readFileSync(path.join(dir, 'envs/dev.env'), 'utf8');
  expect(env).toMatch(/^TODO_API_ACTIVE_COLOR=green$/m);
  expect(env).toMatch(/^TODO_API_GREEN_TAG=1\.1\.0$/m);
  expect(env).toMatch(/^TODO_API_BLUE_TAG=1\.0\.0$/m);
}, 180_000);
