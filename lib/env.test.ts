import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FOURHUNDRED_SETTINGS } from './charts/fourhundred';
import { PREEMPTIBLE_SETTINGS } from './charts/preemptible';
import { CHARTS } from './charts';
import {
  EnvError, MAX_ENV_FILE_BYTES, PROJECT_SETTINGS, defineSettings, environmentNames, int, loadEnvironment, loadEnvironments,
  oneOf, parseEnvironment, projectChartSettings, setting, settingsTable, withSettingsTable,
} from './env';

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
    expect(env).toMatchObject({
      name: 'qa', file: 'envs/qa.env',
      images: { registry: 'gcr.io/p', tag: '1.0.0' },
      quotas: { forwardingRules: 15, targetPools: 15, firewalls: 100, cpus: 24, diskGb: 100 },
    });
    expect(FOURHUNDRED_SETTINGS.of(env)).toEqual({ fleetSize: 10, serviceType: 'ClusterIP' });
    expect(PREEMPTIBLE_SETTINGS.of(env)).toEqual({ nodeKind: 'spot' });
    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.isFrozen(env.quotas)).toBe(true);
    expect(() => { (FOURHUNDRED_SETTINGS.of(env) as any).fleetSize = 400; }).toThrow(TypeError);
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
    ['an invalid image tag', replace('IMAGE_TAG', 'v1:2'), 'envs/qa.env:2: IMAGE_TAG="v1:2" is invalid: expected a pinned image tag'],
    ['a moving image tag', replace('IMAGE_TAG', 'latest'), 'envs/qa.env:2: IMAGE_TAG="latest" is not pinned: expected a pinned image tag such as 1.4.2'],
    ['an invalid registry', replace('IMAGE_REGISTRY', 'gcr.io/p/'), 'envs/qa.env:1: IMAGE_REGISTRY="gcr.io/p/" is invalid: expected an image registry'],
    ['an unknown key', GOOD + 'FLEET_SIZE=10\n', 'envs/qa.env:9: unknown key FLEET_SIZE: expected one of IMAGE_REGISTRY'],
    ['a missing required key', GOOD.replace(/^QUOTA_CPUS=.*\n/m, ''), 'envs/qa.env: QUOTA_CPUS is missing: expected an integer in range 0-1000000'],
    ['an empty required key', replace('IMAGE_TAG', ''), 'envs/qa.env:2: IMAGE_TAG is missing: expected a pinned image tag'],
    ['a key given twice', GOOD + 'IMAGE_TAG=2\n', 'envs/qa.env:9: IMAGE_TAG is set twice (first on line 2)'],
    ['a line that is not an assignment', GOOD + 'just words\n', 'envs/qa.env:9: "just words" is not a KEY=value line'],
  ])('%s is an error naming file, line, key, value and what was expected', (_what, text, message) => {
    expect(problems(text).join('\n')).toContain(message);
  });

  test('all problems of a file are reported together', () => {
    const text = replace('FOURHUNDRED_FLEET_SIZE', 'x').replace(/^QUOTA_CPUS=.*\n/m, '') + 'BOGUS=1\n';
    const all = problems(text);
    // In line order: the file's own problems (a missing key) first, then line by line.
    expect(all).toEqual([
      'envs/qa.env: QUOTA_CPUS is missing: expected an integer in range 0-1000000',
      'envs/qa.env:3: FOURHUNDRED_FLEET_SIZE="x" is not an integer: expected an integer in range 0-10000',
      // Every key the loader knows, the project's first, then each chart's in CHARTS order.
      `envs/qa.env:8: unknown key BOGUS: expected one of ${[PROJECT_SETTINGS, ...projectChartSettings()].flatMap((s) => s.keys.map((k) => k.key)).join(', ')}`,
    ]);
  });

  test('the environment name comes from the file name and must be a DNS-1123 label', () => {
    expect(problems(GOOD, 'QA_1')[0]).toBe('envs/QA_1.env: environment name "QA_1" (from the file name) is not a valid DNS-1123 label: expected lowercase letters, digits and \'-\', at most 63');
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
    // Every env file is an environment; the article's three have the article's fleet sizes.
    expect(envs.map((e) => e.name)).toEqual(environmentNames('envs'));
    const sizes = Object.fromEntries(envs.map((e) => [e.name, FOURHUNDRED_SETTINGS.of(e).fleetSize]));
    expect(sizes).toMatchObject({ dev: 10, staging: 100, prod: 400 });
    expect(envs.find((e) => e.name === 'prod')!.quotas).toEqual({ forwardingRules: 500, targetPools: 500, firewalls: 500, cpus: 96, diskGb: 9182 });
  });
});

describe('settings declarations', () => {
  test('each chart declares its own keys; the loader validates the keys of the charts it is given', () => {
    const owners = CHARTS.flatMap((c) => (c.settings ? [c.settings.owner] : []));
    // Every chart that reads env keys declares them; the charts without settings declare none.
    expect(owners).toEqual(CHARTS.filter((c) => c.settings).map((c) => c.name));
    expect(owners).toEqual(expect.arrayContaining(['fourhundred', 'preemptible', 'shippy', 'kube-alive', 'loadtest', 'todo-api']));
    // Without the fourhundred chart, its keys are unknown to the loader.
    expect(() => parseEnvironment('qa', 'envs/qa.env', GOOD, [PREEMPTIBLE_SETTINGS])).toThrow(/envs\/qa.env:3: unknown key FOURHUNDRED_FLEET_SIZE/);
    const env = parseEnvironment('qa', 'envs/qa.env', GOOD.replace(/^FOURHUNDRED.*\n/m, ''), [PREEMPTIBLE_SETTINGS]);
    expect(() => FOURHUNDRED_SETTINGS.of(env)).toThrow('environment qa was loaded without the settings of fourhundred');
  });

  test('a new chart is one declaration: its keys are validated, defaulted and typed with no loader change', () => {
    const TODO = defineSettings('todo-api', {
      replicas: setting('TODO_API_REPLICAS', int(1, 50), { default: '2', doc: 'How many todo-api pods run.' }),
      store: setting('TODO_API_STORE', oneOf(['memory', 'postgres']), { doc: 'Where todos are kept.' }),
    });
    const all = [FOURHUNDRED_SETTINGS, PREEMPTIBLE_SETTINGS, TODO];
    const env = parseEnvironment('qa', 'envs/qa.env', GOOD + 'TODO_API_STORE=postgres\n', all);
    const todo: { readonly replicas: number; readonly store: 'memory' | 'postgres' } = TODO.of(env);
    expect(todo).toEqual({ replicas: 2, store: 'postgres' });
    expect(() => parseEnvironment('qa', 'envs/qa.env', GOOD + 'TODO_API_REPLICAS=0\n', all)).toThrow(
      'envs/qa.env:9: TODO_API_REPLICAS="0" is out of range: expected an integer in range 1-50');
    expect(settingsTable(all)).toContain('| `TODO_API_REPLICAS` | todo-api | integer 1–50 | `2` | How many todo-api pods run. |');
  });

  test('a key declared by two owners, or a bad default, is refused', () => {
    const clash = defineSettings('other', { tag: setting('IMAGE_TAG', int(0, 1), { doc: 'x' }) });
    expect(() => parseEnvironment('qa', 'envs/qa.env', GOOD, [clash])).toThrow('setting IMAGE_TAG is declared by both project and other');
    expect(() => defineSettings('bad', { n: setting('BAD_N', int(0, 5), { default: '9', doc: 'x' }) })).toThrow('settings of bad: default "9" of BAD_N is invalid: expected an integer in range 0-5');
    expect(() => defineSettings('bad', { n: setting('bad-key', int(0, 5), { doc: 'x' }) })).toThrow(/key "bad-key" of n is invalid/);
  });

  test('the README key table is generated from the declarations and up to date (npm run readme:env)', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    expect(withSettingsTable(readme, settingsTable())).toBe(readme);
    for (const owner of [PROJECT_SETTINGS, FOURHUNDRED_SETTINGS, PREEMPTIBLE_SETTINGS]) {
      for (const k of owner.keys) {
        expect(k.doc.length).toBeGreaterThan(10);
        expect(readme).toContain(`| \`${k.key}\` | ${owner.owner} |`);
      }
    }
  });
});

// A FIFO named qa.env (mkfifo is a process) is in main.int.test.ts.
describe('every bad env file or path is one clear error, never a stack trace or a hang', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-envs-'));
    fs.mkdirSync(path.join(dir, 'envs'));
    fs.writeFileSync(path.join(dir, 'envs', 'dev.env'), GOOD);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const load = () => {
    try {
      loadEnvironments('envs', dir);
    } catch (e) {
      expect(e).toBeInstanceOf(EnvError);
      return (e as EnvError).message.split('\n');
    }
    throw new Error('expected an EnvError');
  };

  test.each<[string, (envs: string) => void, string]>([
    ['a symlink loop', (envs) => { fs.symlinkSync('qa.env', path.join(envs, 'qa.env')); }, 'envs/qa.env: cannot be read: a symbolic link loop (ELOOP)'],
    ['a dangling symlink', (envs) => { fs.symlinkSync('gone.env', path.join(envs, 'qa.env')); }, 'envs/qa.env: cannot be read: no such file (or a dangling symbolic link) (ENOENT)'],
    ['a folder named qa.env', (envs) => { fs.mkdirSync(path.join(envs, 'qa.env')); }, 'envs/qa.env: is a folder: expected a regular file of KEY=value lines'],
    ['a huge file', (envs) => { fs.writeFileSync(path.join(envs, 'qa.env'), 'X'.repeat(MAX_ENV_FILE_BYTES + 1)); }, `envs/qa.env: is ${MAX_ENV_FILE_BYTES + 1} bytes: expected at most ${MAX_ENV_FILE_BYTES} bytes`],
    ['text that is not UTF-8', (envs) => { fs.writeFileSync(path.join(envs, 'qa.env'), Buffer.from([0x49, 0x3d, 0xff, 0xfe, 0x0a])); }, 'envs/qa.env: is not UTF-8 text'],
  ])('%s', (_what, breakIt, message) => {
    breakIt(path.join(dir, 'envs'));
    expect(load()).toEqual([message + (message.endsWith(')') ? ': expected a readable file of KEY=value lines' : '')].map((m) => expect.stringContaining(m)));
  });

  test('a missing env folder, or a file given as the folder', () => {
    expect(() => loadEnvironments('nonexistent', dir)).toThrow('nonexistent: env folder cannot be read: no such file (or a dangling symbolic link) (ENOENT): expected a folder of <env>.env files');
    expect(() => loadEnvironments('envs/dev.env', dir)).toThrow('envs/dev.env: is not a folder: expected a folder of <env>.env files');
  });

  test('CRLF, CR-only line ends and a BOM read like LF', () => {
    for (const text of [GOOD.replace(/\n/g, '\r\n'), GOOD.replace(/\n/g, '\r'), '\uFEFF' + GOOD]) {
      const env = parseEnvironment('qa', 'envs/qa.env', text);
      expect(FOURHUNDRED_SETTINGS.of(env).fleetSize).toBe(10);
      expect(env.images.tag).toBe('1.0.0');
    }
    // Line numbers count CR-only lines too.
    expect(problems(replace('QUOTA_CPUS', 'x').replace(/\n/g, '\r'))).toEqual(['envs/qa.env:7: QUOTA_CPUS="x" is not an integer: expected an integer in range 0-1000000']);
  });

  test('a 10 MB value gives a short message; 130,000 bad lines give a bounded list, no stack overflow', () => {
    const huge = problems(replace('IMAGE_TAG', 'a'.repeat(10_000_000)));
    expect(huge).toHaveLength(1);
    expect(huge[0].length).toBeLessThan(400);
    expect(huge[0]).toMatch(/^envs\/qa.env:2: IMAGE_TAG="a{60}"… \(10000000 characters\) is invalid: expected a pinned image tag/);
    const many = problems(GOOD + 'junk\n'.repeat(130_000));
    expect(many).toHaveLength(51);
    expect(many[0]).toBe('envs/qa.env:9: "junk" is not a KEY=value line');
    expect(many[50]).toBe('envs/qa.env: … and 129950 more problem(s) in this file');
  });

  test('problems of several files come file by file, each in line order', () => {
    fs.writeFileSync(path.join(dir, 'envs', 'qa.env'), replace('QUOTA_CPUS', 'x') + 'A B\n');
    fs.writeFileSync(path.join(dir, 'envs', 'dev.env'), 'oops\n' + replace('IMAGE_TAG', 'latest'));
    expect(load()).toEqual([
      'envs/dev.env:1: "oops" is not a KEY=value line',
      expect.stringMatching(/^envs\/dev.env:3: IMAGE_TAG="latest" is not pinned/),
      'envs/qa.env:7: QUOTA_CPUS="x" is not an integer: expected an integer in range 0-1000000',
      'envs/qa.env:9: "A B" is not a KEY=value line',
    ]);
  });

  test('adding a copy of an environment as qa.env adds the environment qa', () => {
    fs.copyFileSync(path.join(__dirname, '..', 'envs', 'prod.env'), path.join(dir, 'envs', 'qa.env'));
    expect(loadEnvironments('envs', dir).map((e) => e.name)).toEqual(['dev', 'qa']);
    expect(environmentNames('envs', dir)).toEqual(['dev', 'qa']);
  });
});
