/**
 * The precompiled synth app (lib/precompile.js, synth.js) is never stale and loads no more than the
 * TypeScript sources would: the file on disk is exactly what the sources bundle to now, a changed
 * input is noticed (by the stat fast path as by hashing), the code cache never runs other code than
 * the bundle's, and cdk8s-plus-27 (2.5 MB) is not loaded at run time.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// Plain JS, loaded as the synth.js launcher loads it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const precompile = require('./precompile.js') as {
  ROOT: string; OUT: string; RECORD: string;
  compile(root?: string): { code: string; record: { esbuild: string; inputs: Record<string, string> } };
  build(root?: string): string;
  isFresh(root?: string): boolean;
  run(file?: string): unknown;
};

describe('build/app/main.js', () => {
  const fresh = precompile.compile();

  test('what synth.js runs is exactly what the sources bundle to now', () => {
    // synth.js's step: rebuild when the cheap hash check says the build is stale (after an edit
    // since `npm install` / `npm run build:app`); the check must then hold and the bytes match.
    if (!precompile.isFresh()) precompile.build();
    expect(precompile.isFresh()).toBe(true);
    // Compared as a boolean so that a mismatch reads as the fact, not a 200 kB diff.
    expect({ identical: fs.readFileSync(precompile.OUT, 'utf8') === fresh.code }).toEqual({ identical: true });
  });

  test('its recorded inputs are main.ts and the project files it imports, with their current hashes', () => {
    const record = JSON.parse(fs.readFileSync(precompile.RECORD, 'utf8'));
    expect(record).toEqual(fresh.record);
    const inputs = Object.keys(record.inputs);
    expect(inputs).toEqual(expect.arrayContaining(['main.ts', 'lib/synth/index.ts', 'lib/synth/write.ts', 'lib/env.ts', 'lib/charts/index.ts', 'constructs/fleet.ts', 'constructs/checks/schema.ts']));
    // The package files bundled are inputs too: an upgraded package makes the build stale.
    const packages = new Set(inputs.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/')[1]));
    expect([...packages]).toEqual(expect.arrayContaining(['cdk8s', 'commander', 'constructs', 'zod', 'kubernetes-models']));
  });

  test('packages are bundled, and cdk8s-plus-27 is not among them (no construct needs it at run time)', () => {
    const required = new Set([...fresh.code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    for (const pkg of ['cdk8s', 'commander', 'constructs', 'zod', 'yaml', 'dotenv']) expect(required.has(pkg)).toBe(false);
    expect([...required].every((r) => require('module').isBuiltin(r))).toBe(true);
    expect(fresh.code).not.toMatch(/cdk8s-plus-27["'/]/);
    // Plain ASCII (a one-byte string for V8), and class names as in the sources.
    expect(/[^\x00-\x7f]/.test(fresh.code)).toBe(false);
    expect(fresh.code).toMatch(/__name\(\w+, ?"ApiObject"\)/);
    // Minified but in short lines: Node prints the line above an uncaught error.
    expect(Math.max(...fresh.code.split('\n').map((l) => l.length))).toBeLessThan(2000);
    // The schema validators of the kinds mega8s emits are in the bundle; any other kind is required by name, when checked.
    expect([...required].some((r) => r.startsWith('kubernetes-models'))).toBe(false);
    expect(fresh.code).toContain('node_modules/kubernetes-models/apps/v1/Deployment.js');
    expect(fresh.code).not.toContain('node_modules/kubernetes-models/v1/Pod.js');
    expect(fresh.code).toContain('requireByName(`kubernetes-models/${dir}/${kind}`)');
  });
});

describe('isFresh', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-precompile-'));
    fs.mkdirSync(path.join(root, 'lib'));
    fs.writeFileSync(path.join(root, 'main.ts'), "import { twice } from './lib/twice';\nconsole.log(twice(21));\n");
    fs.writeFileSync(path.join(root, 'lib', 'twice.ts'), 'export const twice = (n: number): number => n * 2;\n');
    precompile.build(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a build of the sources as they are is fresh and bundles the imports', () => {
    expect(precompile.isFresh(root)).toBe(true);
    const code = fs.readFileSync(path.join(root, 'build', 'app', 'main.js'), 'utf8');
    expect(code).toContain('n=>n*2');
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(root, 'build', 'app', 'inputs.json'), 'utf8')).inputs)).toEqual(['lib/twice.ts', 'main.ts']);
  });

  test('an edited import, a deleted input, a missing build or a broken record make it stale', () => {
    const before = fs.readFileSync(path.join(root, 'build', 'app', 'main.js'), 'utf8');
    fs.writeFileSync(path.join(root, 'lib', 'twice.ts'), 'export const twice = (n: number): number => n * 3;\n');
    expect(precompile.isFresh(root)).toBe(false);
    expect(precompile.compile(root).code).not.toBe(before);
    precompile.build(root);
    expect(precompile.isFresh(root)).toBe(true);
    fs.rmSync(path.join(root, 'lib', 'twice.ts'));
    expect(precompile.isFresh(root)).toBe(false);
    fs.writeFileSync(path.join(root, 'lib', 'twice.ts'), 'export const twice = (n: number): number => n + n;\n');
    precompile.build(root);
    fs.rmSync(path.join(root, 'build', 'app', 'main.js'));
    expect(precompile.isFresh(root)).toBe(false);
    precompile.build(root);
    fs.writeFileSync(path.join(root, 'build', 'app', 'inputs.json'), '{"inputs": {}}');
    expect(precompile.isFresh(root)).toBe(false);
    fs.writeFileSync(path.join(root, 'build', 'app', 'inputs.json'), 'not json');
    expect(precompile.isFresh(root)).toBe(false);
  });
});

describe('isFresh, fast path (stats remembered in build/app/stats.json)', () => {
  let root: string;
  const twice = () => path.join(root, 'lib', 'twice.ts');
  const stats = () => path.join(root, 'build', 'app', 'stats.json');
  /** Sets a file's mtime (and atime) to long ago: its stat is then remembered. */
  const age = (file: string) => fs.utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1));
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-precompile-'));
    fs.mkdirSync(path.join(root, 'lib'));
    fs.writeFileSync(path.join(root, 'main.ts'), "import { twice } from './lib/twice';\nconsole.log(twice(21));\n");
    fs.writeFileSync(twice(), 'export const twice = (n: number): number => n * 2;\n');
    precompile.build(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a file changed just now is hashed on every check, its stat not remembered', () => {
    expect(precompile.isFresh(root)).toBe(true);
    // Both files were written within the last seconds: their ctime is too recent to stand for them.
    expect(JSON.parse(fs.readFileSync(stats(), 'utf8'))).toEqual({});
  });

  test('the fast path gives the same answer as hashing: an edit that keeps size and mtime is still noticed', () => {
    // Only settled files (ctime well in the past) are remembered; this test cannot age a ctime, so
    // it forges the remembered stats as the check would have written them.
    age(twice());
    const remembered = (file: string, hash: string) => {
      const { size, mtimeMs, ctimeMs, ino } = fs.statSync(path.join(root, file));
      return { hash, size, mtimeMs, ctimeMs, ino };
    };
    const record = JSON.parse(fs.readFileSync(path.join(root, 'build', 'app', 'inputs.json'), 'utf8'));
    fs.writeFileSync(stats(), JSON.stringify(Object.fromEntries(Object.entries(record.inputs as Record<string, string>).map(([f, h]) => [f, remembered(f, h)]))));
    expect(precompile.isFresh(root)).toBe(true);
    // Same size, mtime set back: only the ctime tells, and it does.
    const mtime = fs.statSync(twice()).mtime;
    fs.writeFileSync(twice(), 'export const twice = (n: number): number => n * 3;\n');
    fs.utimesSync(twice(), mtime, mtime);
    expect(precompile.isFresh(root)).toBe(false);
    // Stats remembered for another hash (another build) are not trusted either.
    fs.writeFileSync(twice(), 'export const twice = (n: number): number => n * 2;\n');
    age(twice());
    const forged = { 'lib/twice.ts': remembered('lib/twice.ts', record.inputs['lib/twice.ts']), 'main.ts': remembered('main.ts', '0'.repeat(64)) };
    fs.writeFileSync(stats(), JSON.stringify(forged));
    fs.writeFileSync(path.join(root, 'main.ts'), 'console.log(42);\n');
    fs.utimesSync(path.join(root, 'main.ts'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    expect(precompile.isFresh(root)).toBe(false);
  });

  test('a broken or missing stats file only costs the hashing', () => {
    for (const content of ['not json', 'null', '[]', '{"main.ts": 1}']) {
      fs.writeFileSync(stats(), content);
      expect(precompile.isFresh(root)).toBe(true);
    }
    fs.rmSync(stats());
    expect(precompile.isFresh(root)).toBe(true);
    fs.appendFileSync(twice(), '// edited\n');
    expect(precompile.isFresh(root)).toBe(false);
  });
});
