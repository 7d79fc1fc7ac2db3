/**
 * Preload (`node --require ./bench/load-times.js ...`): what each package costs to load, in ms of
 * the process's own time, attributed exclusively (a module's time minus the modules it loads), by
 * package (`cdk8s`, `zod`, …) or `mega8s` for the project's own files (including, under tsx, their
 * compilation); the entry script's own time (which runs the synth; for synth.js, with
 * build/app/main.js) is reported apart. The packages bundled into build/app/main.js (see
 * lib/precompile.js) are part of that time, since they are no longer loaded from node_modules;
 * startupMs (below) is the start-up however the code was loaded. When the process exits it writes one JSON line to the file named by
 * MEGA8S_LOAD_TIMES (or stderr): { bootMs, startupMs, requireMs, packages: { name: ms } }, startupMs being
 * the time from the process's start to main.ts's `mega8s:synth-start` mark (everything loaded and
 * compiled, the synth about to begin).
 */
'use strict';
const Module = require('module');
const fs = require('fs');

const bootMs = performance.now();
const packages = Object.create(null);
const stack = [];
let total = 0;

function packageOf(file) {
  const i = file.lastIndexOf('/node_modules/');
  if (i < 0) return file.startsWith('node:') || !file.includes('/') ? 'node (built-in)' : 'mega8s';
  const rest = file.slice(i + '/node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

const load = Module._load;
Module._load = function (request, parent, isMain) {
  let file;
  try {
    file = Module._resolveFilename(request, parent, isMain);
  } catch {
    return load.apply(this, arguments);
  }
  if (Module._cache[file] || Module.builtinModules.includes(request.replace(/^node:/, ''))) return load.apply(this, arguments);
  const frame = { children: 0 };
  stack.push(frame);
  const start = performance.now();
  try {
    return load.apply(this, arguments);
  } finally {
    const elapsed = performance.now() - start;
    stack.pop();
    const name = isMain || file.endsWith('/build/app/main.js') ? 'entry script (runs the synth)' : packageOf(file);
    packages[name] = (packages[name] ?? 0) + elapsed - frame.children;
    if (stack.length) stack[stack.length - 1].children += elapsed;
    else total += elapsed;
  }
};

process.on('exit', () => {
  // main.ts marks the moment its synth begins: from process start to there is the whole start-up
  // (boot, loading, compiling), whichever way the app was loaded.
  const mark = performance.getEntriesByName('mega8s:synth-start')[0];
  const startupMs = mark ? Math.round(mark.startTime * 10) / 10 : undefined;
  const line = JSON.stringify({ bootMs: Math.round(bootMs * 10) / 10, startupMs, requireMs: Math.round(total * 10) / 10, packages: Object.fromEntries(Object.entries(packages).map(([k, v]) => [k, Math.round(v * 10) / 10]).sort((a, b) => b[1] - a[1])) });
  if (process.env.MEGA8S_LOAD_TIMES) fs.appendFileSync(process.env.MEGA8S_LOAD_TIMES, line + '\n');
  else process.stderr.write(line + '\n');
});
