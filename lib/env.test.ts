import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ENV_KEYS, EnvError, loadEnvironment, loadEnvironments, parseEnvironment } from './env';

const GOOD = [
  'IMAGE_REGISTRY=gcr.io/p',
  'IMAGE_TAG=1.0.0',
  'FOURHUNDRED_FLEET_SIZE=10',
  'QUOTA_FORWARDING_RULES=15',
  'QUOTA_TARGET_POOLS=15',
  'QUOTA_FIREWALLS=100',
  'QUOTA_CPUS=24',
  'QUOTA_DISK_GB=100',
].join('\n') + '\n';

function problems(text: string, name = 'qa'): string[] {
  try {
    parseEnvironment(name, `envs/${name}.env`, text);
  } catch (e) {
    expect(e).toBeInstanceOf(EnvError);
    return (e as EnvError).message.split('\n');
  }
  throw new Error('expected an EnvError');
}

function replace(key: string, value: string): string {
  return GOOD.replace(new RegExp(`^${key}=.*$`, 'm'), `${key}=${value}`);
}

describe('environments', () => {
  test('a valid file becomes a typed, frozen Environment with defaults filled in', () => {
    const env = parseEnvironment('qa', 'envs/qa.env', GOOD);
    expect(env).toEqual({
      name: 'qa', file: 'envs/qa.env',
      images: { registry: 'gcr.io/p', tag: '1.0.0' },
      fourhundred: { fleetSize: 10, serviceType: 'ClusterIP' },
      preemptible: { nodeKind: 'spot' },
      quotas: { forwardingRules: 15, targetPools: 15, firewalls: 100, cpus: 24, diskGb: 100 },
    });
    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.isFrozen(env.quotas)).toBe(true);
    expect(() => { (env.fourhundred as any).fleetSize = 400; }).toThrow(TypeError);
  });

  test('parsing does not touch process.env', () => {
    const before = { ...process.env };
    parseEnvironment('qa', 'envs/qa.env', GOOD);
    expect(process.env).toEqual(before);
    expect(process.env.FOURHUNDRED_FLEET_SIZE).toBeUndefined();
  });

  test('comments, blank lines, export and quotes are dotenv syntax', () => {
    const env = parseEnvironment('qa', 'envs/qa.env', `# a comment\n\nexport ${replace('IMAGE_TAG', '"2.0"').trim()}\n`);
    expect(env.images.tag).toBe('2.0');
  });

  test.each([
    ['a non-integer', replace('FOURHUNDRED_FLEET_SIZE', 'four'), 'envs/qa.env:3: FOURHUNDRED_FLEET_SIZE="four" is not an integer: expected an integer in range 0-10000'],
    ['a fraction', replace('FOURHUNDRED_FLEET_SIZE', '1.5'), 'envs/qa.env:3: FOURHUNDRED_FLEET_SIZE="1.5" is not an integer: expected an integer in range 0-10000'],
    ['a value out of range', replace('FOURHUNDRED_FLEET_SIZE', '10001'), 'envs/qa.env:3: FOURHUNDRED_FLEET_SIZE="10001" is out of range: expected an integer in range 0-10000'],
    ['a negative quota', replace('QUOTA_CPUS', '-1'), 'envs/qa.env:7: QUOTA_CPUS="-1" is out of range: expected an integer in range 0-1000000'],
    ['a value outside the enum', GOOD + 'FOURHUNDRED_SERVICE_TYPE=Ingress\n', 'envs/qa.env:9: FOURHUNDRED_SERVICE_TYPE="Ingress" is invalid: expected one of ClusterIP, LoadBalancer, NodePort, Headless'],
    ['an invalid DNS-1123 name', GOOD + 'FOURHUNDRED_ENDPOINTS_SERVICE=Grpc_Server\n', 'envs/qa.env:9: FOURHUNDRED_ENDPOINTS_SERVICE="Grpc_Server" is invalid: expected a DNS-1123 subdomain'],
    ['an invalid image tag', replace('IMAGE_TAG', 'v1:2'), 'envs/qa.env:2: IMAGE_TAG="v1:2" is invalid: expected an image tag'],
    ['an invalid registry', replace('IMAGE_REGISTRY', 'gcr.io/p/'), 'envs/qa.env:1: IMAGE_REGISTRY="gcr.io/p/" is invalid: expected an image registry'],
    ['an unknown key', GOOD + 'FLEET_SIZE=10\n', 'envs/qa.env:9: unknown key FLEET_SIZE: expected one of IMAGE_REGISTRY'],
    ['a missing required key', GOOD.replace(/^QUOTA_CPUS=.*\n/m, ''), 'envs/qa.env: QUOTA_CPUS is missing: expected an integer in range 0-1000000'],
    ['an empty required key', replace('IMAGE_TAG', ''), 'envs/qa.env:2: IMAGE_TAG is missing: expected an image tag'],
    ['a key given twice', GOOD + 'IMAGE_TAG=2\n', 'envs/qa.env:9: IMAGE_TAG is set twice (first on line 2)'],
    ['a line that is not an assignment', GOOD + 'just words\n', 'envs/qa.env:9: "just words" is not a KEY=value line'],
  ])('%s is an error naming file, line, key, value and what was expected', (_what, text, message) => {
    expect(problems(text).join('\n')).toContain(message);
  });

  test('all problems of a file are reported together', () => {
    const text = replace('FOURHUNDRED_FLEET_SIZE', 'x').replace(/^QUOTA_CPUS=.*\n/m, '') + 'BOGUS=1\n';
    const all = problems(text);
    expect(all).toHaveLength(3);
    expect(all[0]).toMatch(/^envs\/qa.env:\d+: unknown key BOGUS/);
    expect(all.join('\n')).toContain('FOURHUNDRED_FLEET_SIZE="x" is not an integer');
    expect(all.join('\n')).toContain('QUOTA_CPUS is missing');
  });

  test('the environment name comes from the file name and must be a DNS-1123 label', () => {
    expect(problems(GOOD, 'QA_1')[0]).toBe('envs/QA_1.env: environment name "QA_1" (from the file name) is not a valid DNS-1123 label: expected lowercase letters, digits and \'-\'');
  });

  test('adding envs/qa.env adds an environment, with no code change; problems of several files come together', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-envs-'));
    try {
      fs.mkdirSync(path.join(dir, 'envs'));
      fs.writeFileSync(path.join(dir, 'envs', 'qa.env'), GOOD);
      fs.writeFileSync(path.join(dir, 'envs', 'dev.env'), GOOD);
      fs.writeFileSync(path.join(dir, 'envs', 'notes.txt'), 'not an env file');
      expect(loadEnvironments('envs', dir).map((e) => e.name)).toEqual(['dev', 'qa']);
      expect(loadEnvironment('envs/qa.env', dir).file).toBe('envs/qa.env');
      fs.writeFileSync(path.join(dir, 'envs', 'dev.env'), replace('QUOTA_CPUS', 'x'));
      fs.writeFileSync(path.join(dir, 'envs', 'qa.env'), replace('IMAGE_TAG', 'a b'));
      expect(() => loadEnvironments('envs', dir)).toThrow(/envs\/dev.env:7: QUOTA_CPUS="x"[\s\S]*envs\/qa.env:2: IMAGE_TAG="a b"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the committed environments load, with the fleet sizes the article calls for', () => {
    const envs = loadEnvironments('envs');
    expect(Object.fromEntries(envs.map((e) => [e.name, e.fourhundred.fleetSize]))).toEqual({ dev: 10, staging: 100, prod: 400 });
    expect(envs.find((e) => e.name === 'prod')!.quotas).toEqual({ forwardingRules: 500, targetPools: 500, firewalls: 500, cpus: 96, diskGb: 9182 });
  });

  test('every key is documented once, and the README documents every key', () => {
    const names = ENV_KEYS.map((k) => k.name);
    expect(new Set(names).size).toBe(names.length);
    const readme = fs.readFileSync('README.md', 'utf8');
    for (const k of ENV_KEYS) {
      expect(k.doc.length).toBeGreaterThan(10);
      expect(readme).toContain(`\`${k.name}\``);
    }
  });
});
