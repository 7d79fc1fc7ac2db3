#!/usr/bin/env node
'use strict';
/**
 * The synth app, precompiled: main.ts and the project files it imports bundled by esbuild into one
 * CommonJS file, build/app/main.js (packages stay in node_modules), so that `npm run synth` and
 * `cdk8s synth` start without tsx compiling ~45 TypeScript files on every run.
 *
 *   node lib/precompile.js            write build/app/main.js and build/app/inputs.json
 *   node lib/precompile.js --check    exit 1 when build/app/main.js is not what the sources give
 *   node lib/precompile.js --if-possible   the same as without it, but only a note (exit 0) when
 *                                     esbuild is not installed (`npm install --omit=dev`): synth.js
 *                                     then runs main.ts through tsx
 *
 * `npm install` (prepare) and `npm run build` write it. It is never stale: synth.js, the entry
 * both commands run, compares the hash of every input recorded in inputs.json with the file as it
 * is now and rebuilds first when one differs; precompile.test.ts proves the committed build
 * recipe gives exactly the file on disk.
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'build', 'app');
const OUT = path.join(OUT_DIR, 'main.js');
const RECORD = path.join(OUT_DIR, 'inputs.json');

/** The esbuild options of the bundle (output in memory). */
function options(root = ROOT) {
  return {
    absWorkingDir: root,
    entryPoints: ['main.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    outfile: path.join(root, 'build', 'app', 'main.js'),
    write: false,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  };
}

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

/** Bundles the sources as they are now: { code, record } (nothing written). */
function compile(root = ROOT) {
  const esbuild = require('esbuild');
  const result = esbuild.buildSync(options(root));
  const code = result.outputFiles[0].text;
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs).sort()) inputs[file] = sha256(fs.readFileSync(path.join(root, file)));
  return { code, record: { esbuild: esbuild.version, inputs } };
}

/** Writes build/app/main.js and the record of its inputs. */
function build(root = ROOT) {
  const { code, record } = compile(root);
  const dir = path.join(root, 'build', 'app');
  fs.mkdirSync(dir, { recursive: true });
  // Each file replaced by a rename, the record last: a synth started meanwhile sees either the old
  // build with its old record (and rebuilds) or the new one, never half a file.
  const put = (name, text) => {
    const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, path.join(dir, name));
  };
  put('main.js', code);
  put('inputs.json', JSON.stringify(record, null, 2) + '\n');
  return code;
}

/**
 * Whether build/app/main.js was built from the sources as they are now: every recorded input has
 * the recorded hash (a new import changes an importing file, so it is caught too). Cheap: no
 * esbuild, only reading and hashing the ~45 inputs.
 */
function isFresh(root = ROOT) {
  let record;
  try {
    record = JSON.parse(fs.readFileSync(path.join(root, 'build', 'app', 'inputs.json'), 'utf8'));
    if (!fs.existsSync(path.join(root, 'build', 'app', 'main.js'))) return false;
  } catch {
    return false;
  }
  const inputs = record && record.inputs;
  if (!inputs || typeof inputs !== 'object' || !Object.keys(inputs).length) return false;
  for (const [file, hash] of Object.entries(inputs)) {
    try {
      if (sha256(fs.readFileSync(path.join(root, file))) !== hash) return false;
    } catch {
      return false;
    }
  }
  return true;
}

module.exports = { ROOT, OUT, RECORD, options, compile, build, isFresh };

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const { code } = compile();
    const onDisk = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : null;
    if (onDisk !== code) {
      console.error(`${path.relative(process.cwd(), OUT)} is ${onDisk === null ? 'missing' : 'stale'}: run \`npm run build:app\``);
      process.exit(1);
    }
  } else {
    if (process.argv.includes('--if-possible')) {
      try {
        require.resolve('esbuild');
      } catch {
        console.error('esbuild is not installed: build/app/main.js not written (synth.js will run main.ts through tsx)');
        process.exit(0);
      }
    }
    build();
    console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
  }
}
