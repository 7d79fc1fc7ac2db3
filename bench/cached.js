'use strict';
// Runs a precompiled bench program the way synth.js runs the app (lib/precompile.js's run(): one
// bundled file with a V8 code cache beside it). `node bench/cached.js build/bench/fleet.js --size 400 ...`
const path = require('path');
const { run } = require('../lib/precompile.js');

const file = path.resolve(process.argv[2]);
// The program sees its own path where node puts the script: argv[1].
process.argv.splice(1, 2, file);
run(file);
