/** The release in process, where nothing runs: option checks and the --dry-run plans. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ReleaseOptions, runRelease, validateReleaseOptions } from './release';

const ENV = '# dev\nIMAGE_TAG=0.1.0\nTODO_API_ACTIVE_COLOR=green\nTODO_API_BLUE_TAG=1.0.0\nTODO_API_GREEN_TAG=1.1.0\n';
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'release-plan-'));
  fs.mkdirSync(path.join(dir, 'envs'));
  fs.writeFileSync(path.join(dir, 'envs/dev.env'), ENV);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function plan(options: Partial<ReleaseOptions>): Promise<string[]> {
  const lines: string[] = [];
  // A kubectl and a synth that cannot run: a dry run must not try.
  await runRelease({ env: 'dev', project: dir, dryRun: true, kubectl: '/nonexistent/kubectl', synth: 'exit 99', out: (l) => lines.push(l), ...options });
  expect(fs.readFileSync(path.join(dir, 'envs/dev.env'), 'utf8')).toBe(ENV);
  return lines;
}

test.each<[Partial<ReleaseOptions>, string]>([
  [{ env: 'Dev', tag: '1' }, '--env "Dev" is not an environment name: expected lowercase letters, digits and -'],
  [{ env: 'dev' }, '--tag is required (or --rollback)'],
  [{ env: 'dev', rollback: true, tag: '1' }, '--rollback takes no --tag: it flips back to the tag the other colour already runs'],
  [{ env: 'dev', tag: 'a:b' }, '--tag "a:b" is not an image tag: expected up to 128 letters, digits, _ . - (not starting with . or -)'],
  [{ env: 'dev', tag: 'x'.repeat(129) }, `--tag "${'x'.repeat(129)}" is not an image tag`],
])('options %j are refused', (options, message) => {
  expect(() => validateReleaseOptions(options as ReleaseOptions)).toThrow(message);
});

test('a release plan goes to the idle colour (blue when green serves) and names every command', async () => {
  const lines = await plan({ tag: '2.0.0', namespace: 'todo', rolloutTimeoutMs: 90_000 });
  expect(lines[0]).toBe('release todo-api:2.0.0 in dev: green (1.1.0) serves; blue (1.0.0) is idle and gets 2.0.0');
  expect(lines).toContain('  $ set TODO_API_BLUE_TAG=2.0.0 in envs/dev.env');
  expect(lines).toContain('  $ /nonexistent/kubectl rollout status deployment/todo-api-blue -n todo --timeout=90s');
  expect(lines).toContain('  $ set TODO_API_ACTIVE_COLOR=blue in envs/dev.env');
  expect(lines.filter((l) => l === '  $ exit 99')).toHaveLength(2);
  expect(lines.at(-1)).toBe('on a failure before step 7: envs/dev.env gets its old bytes back and dist/dev/ is synthesized from it (green keeps serving)');
});

test('the default synth command is npm run -s synth for the one environment', async () => {
  const lines = await plan({ tag: '2.0.0', synth: undefined });
  expect(lines).toContain('  $ npm run -s synth -- --env dev');
});

test('a rollback plan checks the other colour is rolled out, then flips to it', async () => {
  const lines = await plan({ rollback: true });
  expect(lines.filter((l) => /^\[|^ {2}\$/.test(l))).toEqual([
    '[1/5] wait for todo-api-blue to be rolled out',
    '  $ /nonexistent/kubectl rollout status deployment/todo-api-blue -n todo-api --timeout=300s',
    '[2/5] check that todo-api-blue has ready pods',
    "  $ /nonexistent/kubectl get deployment/todo-api-blue -n todo-api -o 'jsonpath={.status.readyReplicas}'",
    '[3/5] make blue the active colour',
    '  $ set TODO_API_ACTIVE_COLOR=blue in envs/dev.env',
    '[4/5] synth dev',
    '  $ exit 99',
    '[5/5] apply dist/dev',
    '  $ /nonexistent/kubectl apply -k dist/dev',
  ]);
});

test('an ACTIVE colour that is neither blue nor green is refused before anything', async () => {
  fs.writeFileSync(path.join(dir, 'envs/dev.env'), ENV.replace('=green', '=purple'));
  await expect(runRelease({ env: 'dev', project: dir, tag: '1', dryRun: true, out: () => undefined }))
    .rejects.toThrow('envs/dev.env: TODO_API_ACTIVE_COLOR is "purple": expected blue or green');
});
