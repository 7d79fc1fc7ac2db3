/**
 * `npm run synth`'s command (node synth.js, the precompiled app) writes exactly the committed dist/,
 * and `--help` and a failed synth behave as main.ts through tsx does; precompile.run's code cache
 * in fresh node processes.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

function readTree(dir: string, base = dir, out = new Map<string, string>()): Map<string, string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) readTree(p, base, out);
    else out.set(path.relative(base, p), fs.readFileSync(p, 'utf8'));
  }
  return out;
}

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-precompiled-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('node synth.js --out DIR writes the same bytes as the committed dist/', () => {
  const out = path.join(tmp, 'dist');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'synth.js'), '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/wrote \d+ environment\(s\)/);
  const written = readTree(out);
  const committed = readTree(path.join(ROOT, 'dist'));
  expect([...written.keys()].sort()).toEqual([...committed.keys()].sort());
  for (const [file, text] of committed) expect({ file, same: written.get(file) === text }).toEqual({ file, same: true });
});

test('an unknown environment fails as main.ts does, writing nothing', () => {
  const out = path.join(tmp, 'nothing');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'synth.js'), '--out', out, '--env', 'nope'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('unknown environment nope');
  expect(fs.existsSync(out)).toBe(false);
});

describe('run (the bundle with a V8 code cache)', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-codecache-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  /** Runs `file` through precompile.run in a fresh node, as synth.js does. */
  const runIn = (file: string) => spawnSync(process.execPath, ['-e', `require(${JSON.stringify(require.resolve('./precompile.js'))}).run(${JSON.stringify(file)})`], { encoding: 'utf8' });
  const bundle = (answer: number) => `"use strict";const path=require("path");module.exports.x=${answer};console.log(${answer},path.basename(__filename),typeof exports,typeof require.resolve);\n`;

  test('runs the file as require would, writes the cache, uses it, and never for other bytes of the same length', () => {
    const file = path.join(dir, 'main.js');
    fs.writeFileSync(file, bundle(41));
    const first = runIn(file);
    expect({ stdout: first.stdout, stderr: first.stderr, status: first.status }).toEqual({ stdout: '41 main.js object function\n', stderr: '', status: 0 });
    const cache = fs.readFileSync(`${file}.cache`);
    expect(runIn(file).stdout).toBe('41 main.js object function\n');
    // Unchanged by a run that used it.
    expect(fs.readFileSync(`${file}.cache`).equals(cache)).toBe(true);
    // Same length, other code: the cache is not used, the new code runs and gets its own cache.
    fs.writeFileSync(file, bundle(42));
    expect(runIn(file).stdout).toBe('42 main.js object function\n');
    expect(fs.readFileSync(`${file}.cache`).equals(cache)).toBe(false);
    expect(runIn(file).stdout).toBe('42 main.js object function\n');
  });

  test('a corrupt cache or one that cannot be written is no error', () => {
    const file = path.join(dir, 'main.js');
    fs.writeFileSync(file, bundle(7));
    runIn(file);
    const cache = fs.readFileSync(`${file}.cache`);
    // The code data damaged (V8 would not notice): not used, the file runs and the cache is rewritten.
    const damaged = Buffer.from(cache);
    damaged.fill(0xab, 48, 64);
    fs.writeFileSync(`${file}.cache`, damaged);
    expect(runIn(file)).toMatchObject({ stdout: '7 main.js object function\n', stderr: '', status: 0 });
    const rewritten = fs.readFileSync(`${file}.cache`);
    expect(rewritten.equals(damaged)).toBe(false);
    expect(runIn(file)).toMatchObject({ stdout: '7 main.js object function\n', stderr: '', status: 0 });
    expect(fs.readFileSync(`${file}.cache`).equals(rewritten)).toBe(true);
    // In the way of the cache: a folder (a rename onto it fails, as in a read-only build/app/).
    fs.rmSync(`${file}.cache`);
    fs.mkdirSync(`${file}.cache`);
    expect(runIn(file)).toMatchObject({ stdout: '7 main.js object function\n', stderr: '', status: 0 });
    expect(fs.readdirSync(dir).sort()).toEqual(['main.js', 'main.js.cache']);
  });
});
