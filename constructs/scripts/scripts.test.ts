import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as embedded from './embedded';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const embed: { SCRIPTS: [string, string, string][]; OUTPUT: string; render(dir?: string): string } = require('./embed.js');

const ROOT = path.resolve(__dirname, '..', '..');

describe('the programs the constructs ship are the files in constructs/scripts/', () => {
  test('embedded.ts is what embed.js writes from the files (run `node constructs/scripts/embed.js` when this fails)', () => {
    expect(fs.readFileSync(embed.OUTPUT, 'utf8')).toBe(embed.render());
  });

  test.each(embed.SCRIPTS)('%s is embedded byte for byte as %s', (file, name) => {
    expect((embedded as Record<string, string>)[name]).toBe(fs.readFileSync(path.join(__dirname, file), 'utf8'));
  });

  test('the check notices a stale embedded.ts: a changed script renders differently', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-embed-'));
    try {
      for (const [file] of embed.SCRIPTS) fs.copyFileSync(path.join(__dirname, file), path.join(dir, file));
      expect(embed.render(dir)).toBe(embed.render());
      fs.appendFileSync(path.join(dir, 'drain.sh'), '# changed\n');
      expect(embed.render(dir)).not.toBe(embed.render());
      expect(embed.render(dir)).toContain('# changed\\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('`embed.js --check` exits 0 on the committed files', () => {
    const r = spawnSync(process.execPath, [path.join(__dirname, 'embed.js'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('`npm run build` regenerates embedded.ts before compiling', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.build).toMatch(/^node constructs\/scripts\/embed\.js && /);
  });
});

/** Every shell script of the project: *.sh files and files starting with a sh or bash shebang. */
function shellScripts(): string[] {
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  expect(listed.status).toBe(0);
  return listed.stdout.split('\n').filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f))).filter((f) => {
    if (f.endsWith('.sh')) return true;
    if (/\.(ts|js|json|md|snap|ya?ml|proto|env)$/.test(f)) return false;
    const head = fs.readFileSync(path.join(ROOT, f), 'utf8').slice(0, 64);
    return /^#!\s*(\/usr\/bin\/env\s+)?(\/bin\/)?(ba|da)?sh\b/.test(head);
  }).sort();
}

describe('shellcheck', () => {
  const found = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });

  test('is installed (apt-get install -y shellcheck; .ci/run installs it)', () => {
    if (found.error || found.status !== 0) {
      throw new Error('shellcheck is not installed: the shell scripts cannot be linted; install the Debian package (apt-get install -y shellcheck), as .ci/run does');
    }
  });

  test('the list of shell scripts holds the constructs\' scripts and CI\'s', () => {
    const scripts = shellScripts();
    expect(scripts).toEqual(expect.arrayContaining([
      '.ci/check-package', '.ci/run', 'constructs/scripts/drain.sh', 'constructs/scripts/mongo-entrypoint.sh',
    ]));
  });

  test('passes on every shell script of the project', () => {
    if (found.error || found.status !== 0) throw new Error('shellcheck is not installed (apt-get install -y shellcheck)');
    const scripts = shellScripts();
    const r = spawnSync('shellcheck', ['--format=gcc', '--external-sources', ...scripts], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('would fail on a script with a mistake (the check is not a no-op)', () => {
    if (found.error || found.status !== 0) throw new Error('shellcheck is not installed (apt-get install -y shellcheck)');
    const r = spawnSync('shellcheck', ['-'], { input: '#!/bin/sh\nrm -rf $1/\n', encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('SC2086');
  });
});
