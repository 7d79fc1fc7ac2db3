/**
 * App-level unit tests, in process: the committed dist/ is what the code produces, the synth is
 * deterministic, and every kind of bad input stops it with one clear message and dist/ untouched.
 * What runs the real program (`npm run synth`, `cdk8s synth`, kills, other users) is in
 * main.int.test.ts (`npm run test:integration`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { GrpcService } from './constructs';
import { CHARTS } from './lib/charts';
import { ChartDefinition } from './lib/charts/chart';
import { environmentNames } from './lib/env';
import { SynthError, synthesize } from './lib/synth';
import { OUTPUT_MARKER } from './lib/synth/write';

const ROOT = __dirname;
/** The environments: every envs/*.env (adding envs/qa.env changes no test). */
const ENVS = environmentNames('envs', ROOT);

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

describe('mega8s app', () => {
  test('the committed dist/ equals a fresh synth of every environment, file for file', () => {
    const results = synthesize({ root: ROOT, dryRun: true });
    expect(results.map((r) => r.env.name)).toEqual(ENVS);
    expect(ENVS).toEqual(expect.arrayContaining(['dev', 'staging', 'prod']));
    const fresh = new Map<string, string>([[OUTPUT_MARKER, fs.readFileSync(path.join(ROOT, 'dist', OUTPUT_MARKER), 'utf8')]]);
    for (const r of results) for (const [f, c] of r.files) fresh.set(path.join(r.env.name, f), c);
    const committed = readTree(path.join(ROOT, 'dist'));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [f, c] of fresh) expect({ f, c: committed.get(f) }).toEqual({ f, c });
  });

  test('every environment lists every chart in its kustomization', () => {
    for (const env of ENVS) {
      const k = fs.readFileSync(path.join(ROOT, 'dist', env, 'kustomization.yaml'), 'utf8');
      for (const c of CHARTS) expect(k).toContain(`  - ${c.name}.k8s.yaml\n`);
    }
  });

  // The second synth of this file: equal to the committed dist/, which equals the first, so the
  // synth is deterministic.
  test('synthesize writes dist/ for every environment with the marker, the same bytes again, and `only` rewrites only those', () => {
    const { dir, cleanup } = scratch();
    try {
      fs.rmSync(path.join(dir, 'dist'), { recursive: true });
      expect(synthesize({ root: dir }).map((r) => r.env.name)).toEqual(ENVS);
      expect(readTree(path.join(dir, 'dist'))).toEqual(readTree(path.join(ROOT, 'dist')));
      fs.writeFileSync(path.join(dir, 'dist', 'prod', 'marker'), 'kept');
      fs.writeFileSync(path.join(dir, 'dist', 'dev', 'stale'), 'dropped');
      synthesize({ root: dir, only: ['dev'] });
      expect(fs.readFileSync(path.join(dir, 'dist', 'prod', 'marker'), 'utf8')).toBe('kept');
      expect(fs.existsSync(path.join(dir, 'dist', 'dev', 'stale'))).toBe(false);
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
      ['a moving image tag: one error naming file, line and key', (envs) => edit(envs, 'prod.env', /^IMAGE_TAG=.*$/m, 'IMAGE_TAG=latest'),
        /^envs\/prod\.env:\d+: IMAGE_TAG="latest" is not pinned: expected a pinned image tag[^\n]*$/],
    ];
    test.each(cases)('%s', (_what, breakIt, message) => {
      const { dir, cleanup } = scratch();
      try {
        breakIt(path.join(dir, 'envs'));
        const before = readTree(path.join(dir, 'dist'));
        let error: unknown;
        // Env files are all read and checked first; the build then needs only the new environment.
        const only = fs.existsSync(path.join(dir, 'envs', 'qa.env')) ? ['qa'] : undefined;
        try { synthesize({ root: dir, only }); } catch (e) { error = e; }
        expect(error).toBeInstanceOf(SynthError);
        const problems = (error as SynthError).problems;
        // One problem, in the message's own words.
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(message);
        expect(readTree(path.join(dir, 'dist'))).toEqual(before);
        expect(fs.readdirSync(dir).sort()).toEqual(['dist', 'envs']);
      } finally {
        cleanup();
      }
    });

    function edit(envs: string, file: string, from: string | RegExp, to: string) {
      const p = path.join(envs, file);
      const text = fs.readFileSync(p, 'utf8');
      expect(text).toMatch(from);
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

    test('an unknown environment is refused, naming the ones there are', () => {
      expect(() => synthesize({ root: ROOT, only: ['nope'], dryRun: true })).toThrow(`unknown environment nope: expected one of ${ENVS.join(', ')} (from envs/*.env)`);
    });
  });
});
