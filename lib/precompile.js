#!/usr/bin/env node
'use strict';
/**
 * The synth app, precompiled: main.ts, the project files it imports and the packages they use
 * (cdk8s, constructs, zod, commander, dotenv, dagre) bundled by esbuild into one CommonJS file,
 * build/app/main.js, so that `npm run synth` and `cdk8s synth` start without tsx compiling ~45
 * TypeScript files and without resolving and compiling ~200 package files on every run. The
 * kubernetes-models validators of the kinds mega8s emits are in it too, each still run only when
 * the checks first meet its kind (constructs/checks/schema.ts); any other kind's is required from
 * node_modules by name. run() executes the bundle with a V8 code cache (build/app/main.js.cache).
 *
 *   node lib/precompile.js            write build/app/main.js and build/app/inputs.json
 *   node lib/precompile.js --check    exit 1 when build/app/main.js is not what the sources give
 *   node lib/precompile.js --if-possible   the same as without it, but only a note (exit 0) when
 *                                     esbuild is not installed (`npm install --omit=dev`): synth.js
 *                                     then runs main.ts through tsx
 *
 * `npm install` (prepare) and `npm run build` write it. It is never stale: synth.js, the entry
 * both commands run, checks every input recorded in inputs.json against the file as it is now (its
 * hash, or a stat that stands for it: see isFresh) and rebuilds first when one differs;
 * precompile.test.ts proves the committed build recipe gives exactly the file on disk.
 */
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

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
    // Class names as in the sources (messages and errors may show them). No comments and no
    // indentation: a third less to read, hash and compile, and plain ASCII (a one-byte string in
    // V8); names stay as written, so stack traces stay readable, and lines stay short, so that
    // the source line Node prints above an uncaught error is one line of code, not 100 kB.
    keepNames: true,
    minifyWhitespace: true,
    lineLimit: 160,
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
  replaceFile(path.join(dir, 'main.js'), code);
  replaceFile(path.join(dir, 'inputs.json'), JSON.stringify(record, null, 2) + '\n');
  return code;
}

/** Writes a file whole: a reader sees the old content or the new one, never half of it. */
function replaceFile(file, data) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Whether build/app/main.js was built from the inputs as they are now: every recorded input (the
 * project's files and the package files bundled) has the recorded hash (a new import changes an
 * importing file, so it is caught too). Cheap: no esbuild, and an input is read and hashed only
 * when its stat (size, mtime, ctime, inode) is not the one build/app/stats.json remembers for that
 * hash. Every write to a file sets its ctime to the current time (no tool can set it back), so an
 * unchanged stat means unchanged bytes, but for one case, which is excluded: a write within the
 * same clock tick as the change the remembered stat shows, after that stat was taken. So, as git
 * does with "racily clean" entries, a stat is remembered only for a file last changed SETTLED_MS
 * before the check that hashed it; a file changed more recently is hashed on every run until then.
 */
function isFresh(root = ROOT) {
  const dir = path.join(root, 'build', 'app');
  let record;
  try {
    record = JSON.parse(fs.readFileSync(path.join(dir, 'inputs.json'), 'utf8'));
    if (!fs.existsSync(path.join(dir, 'main.js'))) return false;
  } catch {
    return false;
  }
  const inputs = record && record.inputs;
  if (!inputs || typeof inputs !== 'object' || !Object.keys(inputs).length) return false;
  const known = readStats(path.join(dir, 'stats.json'));
  const settled = Date.now() - SETTLED_MS;
  const remember = Object.create(null);
  let hashed = false;
  for (const file of Object.keys(inputs)) {
    const hash = inputs[file];
    const where = `${root}/${file}`;
    try {
      // The stat first, then the bytes: an edit in between gives the file a newer ctime. (Plain
      // numbers, not bigint: several times cheaper, and exact enough, as a remembered stat is
      // SETTLED_MS older than any later change.)
      const { size, mtimeMs, ctimeMs, ino } = fs.statSync(where);
      const k = known[file];
      if (k && k.hash === hash && k.size === size && k.mtimeMs === mtimeMs && k.ctimeMs === ctimeMs && k.ino === ino) {
        remember[file] = k;
        continue;
      }
      if (sha256(fs.readFileSync(where)) !== hash) return false;
      hashed = true;
      if (ctimeMs < settled && mtimeMs < settled) remember[file] = { hash, size, mtimeMs, ctimeMs, ino };
    } catch {
      return false;
    }
  }
  if (hashed) {
    try {
      replaceFile(path.join(dir, 'stats.json'), JSON.stringify(remember) + '\n');
    } catch {
      // Best effort: without it, the next check hashes again.
    }
  }
  return true;
}

/** How long ago (ms) a file must have last changed for its stat to stand for its bytes. */
const SETTLED_MS = 2000;

function readStats(file) {
  try {
    const stats = JSON.parse(fs.readFileSync(file, 'utf8'));
    return stats && typeof stats === 'object' ? stats : {};
  } catch {
    return {};
  }
}

/**
 * Runs build/app/main.js as require() would, with a V8 code cache: build/app/main.js.cache holds
 * the code V8 compiled in an earlier run (with the functions compiled lazily while it ran), behind
 * the sha256 of the Node version, the architecture, the bundle's bytes and the cached data itself,
 * so it is used only for exactly this bundle on this Node and only as written (V8 checks its own
 * version and flags, but not its data); V8 rejects it under other V8 flags. A missing, foreign,
 * damaged or rejected cache means an ordinary compile and a new cache written at exit, best effort
 * (an unwritable build/app/ costs only the cache).
 */
function run(file = OUT) {
  // Hashed as bytes: a string would be encoded to UTF-8 again first (ten times the time).
  const bytes = fs.readFileSync(file);
  const code = bytes.toString('utf8');
  const cacheFile = `${file}.cache`;
  const seal = (data) => crypto.createHash('sha256').update(`${process.version}\0${process.arch}\0`).update(bytes).update(data).digest();
  let cachedData;
  try {
    const blob = fs.readFileSync(cacheFile);
    const data = blob.subarray(32);
    if (data.length && seal(data).equals(blob.subarray(0, 32))) cachedData = data;
  } catch {
    // No cache yet.
  }
  const script = new vm.Script(Module.wrap(code), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const data = script.createCachedData();
        replaceFile(cacheFile, Buffer.concat([seal(data), data]));
      } catch {
        // Best effort: the next run compiles again.
      }
    });
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = mod;
  script.runInThisContext()
    .call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return mod.exports;
}

module.exports = { ROOT, OUT, RECORD, options, compile, build, isFresh, run };

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
