/**
 * Integration tests of the app (`npm run test:integration`): the real programs, `npm run synth`'s
 * command and `cdk8s synth`, run as processes in scratch projects. Kills at random moments and at
 * the swap (through the writer's test seam, MEGA8S_TEST_PAUSE_AT), concurrent runs, a read-only
 * output for a non-root user, a full tmpfs, every refused --out, and cdk8s's own output folder,
 * --stdout, -o and validation plugins.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CHARTS } from './lib/charts';
import { environmentNames } from './lib/env';
import { OUTPUT_MARKER } from './lib/synth/write';

const ROOT = __dirname;
const ENVS = environmentNames('envs', ROOT);
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cjs', 'index.cjs');
const CDK8S = path.join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');

/** Every file under `dir` (dotfiles too), relative path -> content. */
function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
      else out.set(path.relative(dir, p), e.isSymbolicLink() ? `<symlink to ${fs.readlinkSync(p)}>` : '<special file>');
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

const scratches: string[] = [];
afterAll(() => {
  for (const d of scratches) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch (e) { console.error(`${d}: not removed: ${e}`); }
  }
});

/** A scratch project: a copy of envs/ and dist/ in a temp folder anyone may enter. */
function scratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-int-'));
  scratches.push(dir);
  fs.chmodSync(dir, 0o755);
  fs.cpSync(path.join(ROOT, 'envs'), path.join(dir, 'envs'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  return dir;
}

/** Runs `npm run synth`'s command (node --require tsx/cjs main.ts) in `cwd`. */
function runSynth(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['--require', TSX, path.join(ROOT, 'main.ts'), ...args], {
    cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env },
  });
}

function startSynth(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--require', TSX, path.join(ROOT, 'main.ts'), ...args], { cwd, env: { ...process.env, ...env } });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  child.stdout!.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exit };
}

async function until(what: string, cond: () => boolean, timeoutMs = 90_000): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const COMMITTED = readTree(path.join(ROOT, 'dist'));

describe('npm run synth', () => {
  test('writes dist/ for every environment, and --env rewrites only that one', () => {
    const dir = scratch();
    fs.rmSync(path.join(dir, 'dist'), { recursive: true });
    const all = runSynth([], dir);
    expect(all.stderr).toBe('');
    expect(all.status).toBe(0);
    expect(all.stdout).toContain(`wrote ${ENVS.length} environment(s)`);
    expect(readTree(path.join(dir, 'dist'))).toEqual(COMMITTED);

    fs.writeFileSync(path.join(dir, 'dist', 'dev', 'marker'), 'kept');
    fs.writeFileSync(path.join(dir, 'dist', 'prod', 'stale'), 'dropped');
    const one = runSynth(['--env', 'prod'], dir);
    expect(one.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'dist', 'dev', 'marker'), 'utf8')).toBe('kept');
    expect(fs.existsSync(path.join(dir, 'dist', 'prod', 'stale'))).toBe(false);
    expect(fs.readdirSync(dir).sort()).toEqual(['dist', 'envs']);
  });

  test.each<[string, string[], (dir: string) => void, string]>([
    ['a bad env value', [], (dir) => fs.appendFileSync(path.join(dir, 'envs', 'dev.env'), 'IMAGE_TAG=latest\n'), 'envs/dev.env:'],
    ['a moving image tag', [], (dir) => {
      const p = path.join(dir, 'envs', 'prod.env');
      fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace(/^IMAGE_TAG=.*$/m, 'IMAGE_TAG=latest'));
    }, 'IMAGE_TAG="latest" is not pinned'],
    ['an unknown --env', ['--env', 'qa'], () => {}, `unknown environment qa: expected one of ${ENVS.join(', ')}`],
    ['an empty --env', ['--env', ''], () => {}, '--env "" names an empty environment'],
    ['--envs naming a missing folder', ['--envs', '/nonexistent'], () => {}, 'env folder cannot be read: no such file'],
    ['--envs naming a file', ['--envs', 'envs/dev.env'], () => {}, 'envs/dev.env: is not a folder'],
    ['a FIFO named qa.env', [], (dir) => execFileSync('mkfifo', [path.join(dir, 'envs', 'qa.env')]), 'envs/qa.env: is a FIFO'],
  ])('%s: exit 1, one clear message, no stack trace, dist/ untouched', (_what, args, breakIt, message) => {
    const dir = scratch();
    breakIt(dir);
    const r = runSynth(args, dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^synth failed; dist\/ is unchanged:\n/);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readTree(path.join(dir, 'dist'))).toEqual(COMMITTED);
  });

  test.each<[string, string, RegExp]>([
    ['.', '.', /is the project folder or one above it: refused/],
    ["''", '', /output folder "" is empty/],
    ['..', '..', /is the project folder or one above it: refused/],
    ['envs', 'envs', /holds or lies inside the env folder envs: refused/],
    ['/', '/', /is the filesystem root: refused/],
    ['a source folder', 'lib', /is not empty and not a mega8s output \(no \.mega8s-output marker\): refused/],
    ['a FIFO', 'fifo', /output folder "fifo" \(.*\) is not a folder: refused/],
    ['a symlink loop', 'loop', /\/loop: too many levels of symbolic links \(ELOOP\)/],
  ])('--out %s is refused before anything is touched', (_what, out, message) => {
    const dir = scratch();
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib', 'main.ts'), 'source\n');
    if (out === 'fifo') execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    if (out === 'loop') fs.symlinkSync('loop', path.join(dir, 'loop'));
    const before = readTree(dir);
    const r = runSynth(['--out', out], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^synth failed; /);
    expect(r.stderr).toMatch(message);
    expect(readTree(dir)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => !['fifo', 'loop'].includes(f)).sort()).toEqual(['dist', 'envs', 'lib']);
  });
});

describe('crash safety', () => {
  /** dist/ as an older run left it: recognisably not what this synth writes. */
  function oldTree(dir: string): Map<string, string> {
    fs.writeFileSync(path.join(dir, 'dist', 'dev', 'from-the-old-run'), 'old\n');
    return readTree(path.join(dir, 'dist'));
  }

  test.each(['lock', 'write', 'swap', 'renamed'])('killed at %s: a complete tree at dist/ or, after the next command, restored; no leftovers', async (point) => {
    const dir = scratch();
    const old = oldTree(dir);
    const run = startSynth([], dir, { MEGA8S_TEST_PAUSE_AT: point });
    await until(`paused at ${point}`, () => run.stderr().includes(`paused at ${point}`));
    run.child.kill('SIGKILL');
    await run.exit;
    if (point === 'renamed') {
      // The one moment dist/ is absent: both trees are beside it, the new one complete.
      expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
      expect(fs.existsSync(path.join(dir, '.dist.mega8s-new', OUTPUT_MARKER))).toBe(true);
      expect(fs.existsSync(path.join(dir, '.dist.mega8s-old'))).toBe(true);
    } else {
      expect(readTree(path.join(dir, 'dist'))).toEqual(old);
    }
    // Any mega8s command restores first: here a dry run, which writes nothing itself.
    const next = runSynth(['--dry-run'], dir);
    expect(next.status).toBe(0);
    expect(readTree(path.join(dir, 'dist'))).toEqual(point === 'renamed' ? COMMITTED : old);
    expect(fs.readdirSync(dir).sort()).toEqual(['dist', 'envs']);
  });

  test('killed at random moments: dist/ is always the complete old or new tree once the next run has started', async () => {
    const dir = scratch();
    for (let i = 0; i < 6; i++) {
      const old = oldTree(dir);
      const run = startSynth([], dir);
      const delay = Math.floor(Math.random() * 2500);
      await new Promise((r) => setTimeout(r, delay));
      run.child.kill('SIGKILL');
      await run.exit;
      const next = runSynth(['--dry-run'], dir);
      expect({ delay, status: next.status, stderr: next.stderr.replace(/^.*(restored the|removed the (leftover|lock file)) .*\n/gm, '') }).toEqual({ delay, status: 0, stderr: '' });
      const now = readTree(path.join(dir, 'dist'));
      expect({ delay, complete: now.size > 0 && (sameTree(now, old) || sameTree(now, COMMITTED)) }).toEqual({ delay, complete: true });
      expect(fs.readdirSync(dir).sort()).toEqual(['dist', 'envs']);
    }
  });

  test('four concurrent synths serialize on the lock: all succeed, one complete tree, nothing left over', async () => {
    const dir = scratch();
    oldTree(dir);
    const runs = [0, 1, 2, 3].map(() => startSynth([], dir, { MEGA8S_TEST_PAUSE_AT: 'renamed', MEGA8S_TEST_PAUSE_MS: '300' }));
    const codes = await Promise.all(runs.map((r) => r.exit));
    expect({ codes, stderr: runs.map((r) => r.stderr().replace(/^paused at .*\n/gm, '')) }).toEqual({ codes: [0, 0, 0, 0], stderr: ['', '', '', ''] });
    expect(runs.every((r) => r.stderr().includes('paused at renamed'))).toBe(true);
    expect(readTree(path.join(dir, 'dist'))).toEqual(COMMITTED);
    expect(fs.readdirSync(dir).sort()).toEqual(['dist', 'envs']);
  });

  test.each(['ENOSPC', 'EROFS', 'EACCES'])('an %s while writing (through the seam) is one "synth failed" message naming the path', (code) => {
    const dir = scratch();
    const old = oldTree(dir);
    const r = runSynth([], dir, { MEGA8S_TEST_FAIL_AT: `write:${code}` });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^synth failed; dist/ is unchanged:\\n${dir.replace(/[.]/g, '\\.')}/\\.dist\\.mega8s-new: .*\\(${code}\\)\\n$`));
    expect(readTree(path.join(dir, 'dist'))).toEqual(old);
    expect(fs.readdirSync(dir).sort()).toEqual(['dist', 'envs']);
  });
});

function sameTree(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

describe('hostile filesystems', () => {
  const asNobody = (args: string[], cwd: string) => spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--',
    process.execPath, '--require', TSX, path.join(ROOT, 'main.ts'), ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: '/tmp' } });
  const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'true']).status === 0;

  (canSetpriv ? test : test.skip)('a read-only dist/ for a non-root user: one EACCES message naming the path; dist/ as it was', () => {
    const dir = scratch();
    // The project folder is writable by anyone, dist/ (root's, 755) is not writable by nobody:
    // refused before anything is touched, rather than replaced with its old tree left undeletable.
    fs.chmodSync(dir, 0o777);
    const before = readTree(path.join(dir, 'dist'));
    const r = asNobody([], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`synth failed; dist/ is unchanged:\n${path.join(dir, 'dist')}: permission denied (EACCES)\n`);
    expect(readTree(path.join(dir, 'dist'))).toEqual(before);
    expect(fs.readdirSync(dir).sort()).toEqual(['dist', 'envs']);
    // A writable dist/ in a project folder nobody may write: refused at the lock, nothing touched.
    fs.chmodSync(dir, 0o755);
    execFileSync('chmod', ['-R', 'a+w', path.join(dir, 'dist')]);
    const r2 = asNobody([], dir);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/^synth failed; dist\/ is unchanged:\n.*\.dist\.mega8s-lock\.\d+: permission denied \(EACCES\)\n$/);
    expect(readTree(path.join(dir, 'dist'))).toEqual(before);
  });

  // Mounting needs root and CAP_SYS_ADMIN; where it is refused, the ENOSPC seam tests above stand in.
  const maybeRoot = process.getuid?.() === 0;
  (maybeRoot ? test : test.skip)('a full tmpfs: one ENOSPC message naming the path; the old tree and the free space as they were', () => {
    const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-tmpfs-'));
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { encoding: 'utf8' });
    if (mount.status !== 0) {
      fs.rmdirSync(mountPoint);
      console.warn(`no tmpfs (${mount.stderr.trim()}): the full-disk case is covered by the ENOSPC seam tests only`);
      return;
    }
    try {
      fullTmpfs(mountPoint);
    } finally {
      spawnSync('umount', [mountPoint]);
      fs.rmdirSync(mountPoint);
    }
  });

  function fullTmpfs(mountPoint: string): void {
    const dir = scratch();
    // A small marked tree on a 256 KiB tmpfs; prod's fleet alone is larger than the whole device.
    const out = path.join(mountPoint, 'dist');
    fs.mkdirSync(path.join(out, 'dev'), { recursive: true });
    fs.writeFileSync(path.join(out, OUTPUT_MARKER), 'marker\n');
    fs.writeFileSync(path.join(out, 'dev', 'fourhundred.k8s.yaml'), 'old\n');
    const before = readTree(out);
    const r = runSynth(['--out', out], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^synth failed; ${out.replace(/[.]/g, '\\.')}/ is unchanged:\\n${mountPoint.replace(/[.]/g, '\\.')}/\\.dist\\.mega8s-new/\\w+/[\\w.-]+: no space left on the device \\(ENOSPC\\)\\n$`));
    expect(readTree(out)).toEqual(before);
    expect(fs.readdirSync(mountPoint).sort()).toEqual(['dist']);
  }
});

describe('cdk8s synth', () => {
  /** A scratch project cdk8s can run in: the repo's cdk8s.yaml, main.ts, synth.js and node_modules linked. */
  function cdk8sProject(config?: string): string {
    const dir = scratch();
    fs.symlinkSync(path.join(ROOT, 'main.ts'), path.join(dir, 'main.ts'));
    fs.symlinkSync(path.join(ROOT, 'synth.js'), path.join(dir, 'synth.js'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), config ?? fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8'));
    return dir;
  }
  const cdk8s = (args: string[], cwd: string) => spawnSync(process.execPath, [CDK8S, 'synth', ...args], { cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  /** The manifests of dist/, as cdk8s gets them: each file starts a new document. */
  const manifestsOf = (env: string, chart: string) => `---\n${COMMITTED.get(path.join(env, `${chart}.k8s.yaml`))}`;

  test('writes the manifests into cdk8s.out/, never touching dist/; -o DIR writes them there', () => {
    const dir = cdk8sProject();
    const r = cdk8s([], dir);
    expect(r.status).toBe(0);
    for (const env of ENVS) for (const c of CHARTS) {
      expect(r.stdout).toContain(`cdk8s.out/${env}/${c.name}.k8s.yaml`);
      expect(fs.readFileSync(path.join(dir, 'cdk8s.out', env, `${c.name}.k8s.yaml`), 'utf8')).toBe(manifestsOf(env, c.name));
    }
    expect(readTree(path.join(dir, 'dist'))).toEqual(COMMITTED);
    const o = cdk8s(['-o', 'out2'], dir);
    expect(o.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out2', 'prod', 'fourhundred.k8s.yaml'), 'utf8')).toBe(manifestsOf('prod', 'fourhundred'));
    expect(readTree(path.join(dir, 'dist'))).toEqual(COMMITTED);
  });

  test('--stdout prints every object of every environment', () => {
    const dir = cdk8sProject();
    const r = cdk8s(['--stdout'], dir);
    expect(r.status).toBe(0);
    // Every manifest, whole and in order (cdk8s pipes all files at once; the app gives it one).
    expect(r.stdout).toBe(ENVS.flatMap((env) => CHARTS.map((c) => manifestsOf(env, c.name))).join(''));
    expect(readTree(path.join(dir, 'dist'))).toEqual(COMMITTED);
  });

  test('a bad env file: the same message as npm run synth, a non-zero exit, dist/ untouched', () => {
    const dir = cdk8sProject();
    fs.appendFileSync(path.join(dir, 'envs', 'dev.env'), 'FLEET=3\n');
    const r = cdk8s([], dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('synth failed; cdk8s.out/ is unchanged:\nenvs/dev.env:');
    expect(r.stderr).toContain('unknown key FLEET');
    expect(readTree(path.join(dir, 'dist'))).toEqual(COMMITTED);
  });

  test('validation plugins in cdk8s.yaml see the output', () => {
    const config = fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8') + [
      'validations:',
      '  - package: ./plugin',
      '    version: 0.0.0',
      '    class: Recorder',
      '',
    ].join('\n');
    const dir = cdk8sProject(config);
    fs.mkdirSync(path.join(dir, 'plugin'));
    // A plugin that records what it was given and counts the objects of each manifest.
    fs.writeFileSync(path.join(dir, 'plugin', 'index.js'), `
      const fs = require('fs');
      class Recorder {
        async validate(context) {
          const seen = context.manifests.map((m) => [m.replace(process.cwd() + '/', ''), context.parseManifest(m).filter(Boolean).length]);
          fs.writeFileSync('plugin/seen.json', JSON.stringify(seen));
          context.report.submit('success');
        }
      }
      module.exports = { Recorder };
    `);
    const r = cdk8s([], dir);
    expect(r.status).toBe(0);
    const seen = new Map<string, number>(JSON.parse(fs.readFileSync(path.join(dir, 'plugin', 'seen.json'), 'utf8')));
    for (const env of ENVS) for (const c of CHARTS) {
      const objects = COMMITTED.get(path.join(env, `${c.name}.k8s.yaml`))!.split('\n---\n').length;
      expect({ file: `${env}/${c.name}`, objects: seen.get(`cdk8s.out/${env}/${c.name}.k8s.yaml`) }).toEqual({ file: `${env}/${c.name}`, objects });
    }
    expect(seen.size).toBe(ENVS.length * CHARTS.length);
  });
});

describe('adding an environment is one file', () => {
  test('a copy of the project with envs/qa.env added: npm run synth writes dist/qa/, and the unit suites that read envs/ pass unchanged', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-qa-'));
    scratches.push(dir);
    for (const entry of ['constructs', 'lib', 'envs', 'dist', 'protos', 'main.ts', 'main.test.ts', 'package.json', 'jest.config.js', 'tsconfig.json', 'README.md', 'cdk8s.yaml']) {
      if (fs.existsSync(path.join(ROOT, entry))) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    fs.copyFileSync(path.join(dir, 'envs', 'staging.env'), path.join(dir, 'envs', 'qa.env'));
    const synth = spawnSync(process.execPath, ['--require', TSX, 'main.ts'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(synth.status).toBe(0);
    expect(synth.stdout).toContain(`wrote ${ENVS.length + 1} environment(s)`);
    expect(fs.readdirSync(path.join(dir, 'dist', 'qa')).sort()).toEqual([...CHARTS.map((c) => `${c.name}.k8s.yaml`), 'kustomization.yaml', 'summary.md', 'applyset-crd.yaml', 'applyset.yaml', 'topology.svg'].sort());
    const jest = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', 'main.test.ts', 'lib/env.test.ts', 'lib/charts', 'lib/synth'],
      { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    expect({ status: jest.status, failures: jest.stderr.split('\n').filter((l) => /✕|FAIL/.test(l)) }).toEqual({ status: 0, failures: [] });
    expect(jest.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
  });
});

describe('kubectl', () => {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  (kubectl.status === 0 ? test : test.skip).each(ENVS)('kubectl kustomize dist/%s parses every object, with no duplicates', (env) => {
    const out = execFileSync('kubectl', ['kustomize', path.join(ROOT, 'dist', env)], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const committed = CHARTS.map((c) => fs.readFileSync(path.join(ROOT, 'dist', env, `${c.name}.k8s.yaml`), 'utf8'))
      .reduce((n, text) => n + text.split('\n---\n').length, 0);
    expect(out.match(/^kind: /gm)?.length).toBe(committed);
  });
});
