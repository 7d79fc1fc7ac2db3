/**
 * `npm run synth`'s command (node synth.js, the precompiled app) writes exactly the committed dist/,
 * and `--help` and a failed synth behave as main.ts through tsx does.
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
