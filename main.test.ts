/**
 * App-level tests: the committed dist/ is what the code produces, the synth is deterministic and
 * atomic, and every kind of bad input stops it with one clear message and dist/ untouched.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { GrpcService } from './constructs';
import { CHARTS } from './lib/charts';
import { ChartDefinition } from './lib/charts/chart';
import { SynthError, synthesize } from './lib/synth';

const ROOT = __dirname;

/** Every file under `dir`, relative path -> content. */
function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** A scratch project: a copy of envs/ and dist/ in a temp folder. */
function scratch(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-'));
  fs.cpSync(path.join(ROOT, 'envs'), path.join(dir, 'envs'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `npm run synth`'s command in `cwd` (a scratch project, or the repo itself). */
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cjs', 'index.cjs');
function runSynth(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, ['--require', TSX, path.join(ROOT, 'main.ts'), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}

describe('mega8s app', () => {
  test('the committed dist/ equals a fresh synth of every environment, file for file', () => {
    const results = synthesize({ root: ROOT, dryRun: true });
    expect(results.map((r) => r.env.name)).toEqual(['dev', 'prod', 'staging']);
    const fresh = new Map<string, string>();
    for (const r of results) for (const [f, c] of r.files) fresh.set(path.join(r.env.name, f), c);
    const committed = readTree(path.join(ROOT, 'dist'));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [f, c] of fresh) expect({ f, c: committed.get(f) }).toEqual({ f, c });
  });

  test('every environment lists every chart in its kustomization', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const k = fs.readFileSync(path.join(ROOT, 'dist', env, 'kustomization.yaml'), 'utf8');
      for (const c of CHARTS) expect(k).toContain(`  - ${c.name}.k8s.yaml\n`);
    }
  });

  test('two synths give the same bytes', () => {
    const a = synthesize({ root: ROOT, dryRun: true });
    const b = synthesize({ root: ROOT, dryRun: true });
    expect(a.map((r) => [...r.files])).toEqual(b.map((r) => [...r.files]));
  });

  test('npm run synth writes dist/ for every environment, and --env rewrites only that one', () => {
    const { dir, cleanup } = scratch();
    try {
      fs.rmSync(path.join(dir, 'dist'), { recursive: true });
      const all = runSynth([], dir);
      expect(all.status).toBe(0);
      expect(all.stdout).toContain('wrote 3 environment(s)');
      expect(readTree(path.join(dir, 'dist'))).toEqual(readTree(path.join(ROOT, 'dist')));

      fs.writeFileSync(path.join(dir, 'dist', 'dev', 'marker'), 'kept');
      fs.writeFileSync(path.join(dir, 'dist', 'prod', 'stale'), 'dropped');
      const one = runSynth(['--env', 'prod'], dir);
      expect(one.status).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'dist', 'dev', 'marker'), 'utf8')).toBe('kept');
      expect(fs.existsSync(path.join(dir, 'dist', 'prod', 'stale'))).toBe(false);
      expect(fs.readdirSync(dir).sort()).toEqual(['dist', 'envs']);
    } finally {
      cleanup();
    }
  });

  describe('bad input stops the synth with a clear message, a non-zero exit and dist/ untouched', () => {
    const cases: [string, (envs: string) => void, RegExp][] = [
      ['a non-integer fleet size', (envs) => edit(envs, 'prod.env', 'FOURHUNDRED_FLEET_SIZE=400', 'FOURHUNDRED_FLEET_SIZE=four hundred'),
        /prod\.env:\d+: FOURHUNDRED_FLEET_SIZE="four hundred" is not an integer: expected an integer in range 0-10000/],
      ['a fleet size out of range', (envs) => edit(envs, 'dev.env', 'FOURHUNDRED_FLEET_SIZE=10', 'FOURHUNDRED_FLEET_SIZE=20000'),
        /dev\.env:\d+: FOURHUNDRED_FLEET_SIZE="20000" is out of range/],
      ['a service type outside the enum', (envs) => edit(envs, 'staging.env', 'FOURHUNDRED_SERVICE_TYPE=LoadBalancer', 'FOURHUNDRED_SERVICE_TYPE=loadbalancer'),
        /staging\.env:\d+: FOURHUNDRED_SERVICE_TYPE="loadbalancer" is invalid: expected one of ClusterIP, LoadBalancer, NodePort, Headless/],
      ['an unknown key', (envs) => fs.appendFileSync(path.join(envs, 'dev.env'), 'FLEET=3\n'),
        /dev\.env:\d+: unknown key FLEET/],
      ['a missing key', (envs) => edit(envs, 'dev.env', 'QUOTA_CPUS=24\n', ''),
        /dev\.env: QUOTA_CPUS is missing/],
      ['an invalid DNS-1123 name', (envs) => edit(envs, 'prod.env', 'grpc-server.endpoints', 'GRPC_server.endpoints'),
        /prod\.env:\d+: FOURHUNDRED_ENDPOINTS_SERVICE="GRPC_server\.endpoints\.mega8s-prod\.cloud\.goog" is invalid/],
      ['a new environment whose quota is too small', (envs) => fs.writeFileSync(path.join(envs, 'qa.env'),
        fs.readFileSync(path.join(envs, 'prod.env'), 'utf8').replace('QUOTA_FORWARDING_RULES=500', 'QUOTA_FORWARDING_RULES=96')),
        /qa: quota QUOTA_FORWARDING_RULES exceeded: the output needs \d+ forwarding rules, the limit is 96 \(envs\/qa\.env\); biggest consumers: Service /],
    ];
    test.each(cases)('%s', (_what, breakIt, message) => {
      const { dir, cleanup } = scratch();
      try {
        breakIt(path.join(dir, 'envs'));
        const before = readTree(path.join(dir, 'dist'));
        const r = runSynth([], dir);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toContain('synth failed;');
        expect(readTree(path.join(dir, 'dist'))).toEqual(before);
        expect(fs.readdirSync(dir).sort()).toEqual(['dist', 'envs']);
      } finally {
        cleanup();
      }
    });

    function edit(envs: string, file: string, from: string, to: string) {
      const p = path.join(envs, file);
      const text = fs.readFileSync(p, 'utf8');
      expect(text).toContain(from);
      fs.writeFileSync(p, text.replace(from, to));
    }

    test('a bad construct prop names the construct path, and nothing is written', () => {
      const { dir, cleanup } = scratch();
      try {
        const bad: ChartDefinition = {
          name: 'broken',
          build: (scope) => {
            const chart = new Chart(scope, 'broken', { namespace: 'default' });
            new GrpcService(chart, 'api', { image: 'gcr.io/p/api:1', port: 70000 });
            return chart;
          },
        };
        const before = readTree(path.join(dir, 'dist'));
        let error: unknown;
        try { synthesize({ root: dir, charts: [...CHARTS, bad] }); } catch (e) { error = e; }
        expect(error).toBeInstanceOf(SynthError);
        expect((error as Error).message).toContain('dev: chart broken: broken/api: port 70000 is out of range 1-65535');
        expect(readTree(path.join(dir, 'dist'))).toEqual(before);
      } finally {
        cleanup();
      }
    });

    test('an unknown --env is refused', () => {
      const r = runSynth(['--env', 'qa', '--dry-run']);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('unknown environment qa: expected one of dev, prod, staging');
    });
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  (kubectl.status === 0 ? test : test.skip).each(['dev', 'staging', 'prod'])('kubectl kustomize dist/%s parses every object, with no duplicates', (env) => {
    const out = execFileSync('kubectl', ['kustomize', path.join(ROOT, 'dist', env)], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const committed = CHARTS.map((c) => fs.readFileSync(path.join(ROOT, 'dist', env, `${c.name}.k8s.yaml`), 'utf8'))
      .reduce((n, text) => n + text.split('\n---\n').length, 0);
    expect(out.match(/^kind: /gm)?.length).toBe(committed);
  });
});
