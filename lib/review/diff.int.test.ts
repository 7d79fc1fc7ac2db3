/**
 * `npm run diff` for real, against a temporary git repository holding a copy of the project: an
 * added fleet member in the working tree is reported (exit 1), the user's checkout and worktree
 * list are left as they were, the same tree against itself is no change (exit 0), and a bad base is
 * an error (exit 2).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
let repo: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
const diff = (...args: string[]) => spawnSync(process.execPath, ['--require', 'tsx/cjs', 'lib/review/main.ts', ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });

beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-diff-repo-'));
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive HEAD | tar -x -C "${repo}"`]);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
  git('init', '--quiet', '--initial-branch=main');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'add', '-A', '.', ':!node_modules');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'base');
});

afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

test('an added fleet member in the working tree: added objects, exit 1, checkout untouched', () => {
  const file = path.join(repo, 'envs', 'dev.env');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('FOURHUNDRED_FLEET_SIZE=10', 'FOURHUNDRED_FLEET_SIZE=11'));
  const statusBefore = git('status', '--porcelain');
  const r = diff('--env', 'dev', '--format', 'json');
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: '' });
  const out = JSON.parse(r.stdout);
  expect(out.changes.map((c: any) => `${c.kind} ${c.object}`)).toEqual(['added Deployment fourhundred/service-010', 'added NetworkPolicy fourhundred/service-010', 'added Service fourhundred/service-010']);
  expect(out.changes.every((c: any) => c.env === 'dev' && c.chart === 'fourhundred' && c.path.startsWith('fourhundred/'))).toBe(true);
  expect(git('status', '--porcelain')).toBe(statusBefore);
  expect(git('worktree', 'list').split('\n')).toHaveLength(1);
  const md = diff('--env', 'dev', '--format', 'markdown', '--base', 'main');
  expect(md.status).toBe(1);
  expect(md.stdout).toContain('| dev | fourhundred | 3 | 0 | 0 | 0 |');
});

test('no change against the same tree: exit 0; a bad base: exit 2', () => {
  git('checkout', '--quiet', '--', 'envs/dev.env');
  const r = diff('--env', 'dev', '--base', 'HEAD');
  expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: 'no changes against HEAD\n' });
  const bad = diff('--base', 'no-such-ref');
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('--base "no-such-ref" is not a commit');
});
