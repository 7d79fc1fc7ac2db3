/**
 * The precompiled synth app (lib/precompile.js, synth.js) is never stale and loads no more than the
 * TypeScript sources would: the file on disk is exactly what the sources bundle to now, a changed
 * input is noticed, and cdk8s-plus-27 (2.5 MB) is not loaded at run time.
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
    expect(inputs.every((f) => !f.startsWith('node_modules/'))).toBe(true);
  });

  test('packages stay external, and cdk8s-plus-27 is not among them (no construct needs it at run time)', () => {
    const required = new Set([...fresh.code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    expect([...required].sort()).toEqual(expect.arrayContaining(['cdk8s', 'commander', 'constructs', 'zod']));
    expect(required.has('cdk8s-plus-27')).toBe(false);
    expect(fresh.code).not.toMatch(/cdk8s-plus-27["'/]/);
    // The schema validators stay lazy: one kubernetes-models module per kind, loaded when checked.
    expect(fresh.code).toContain('require(`kubernetes-models/${dir}/${kind}`)');
    expect([...required].some((r) => r.startsWith('kubernetes-models'))).toBe(false);
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
    expect(code).toContain('n * 2');
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
