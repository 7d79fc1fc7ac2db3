#!/usr/bin/env node
'use strict';
/**
 * What `npm run synth` and `cdk8s synth` (cdk8s.yaml's `app:`) run: main.ts, precompiled
 * (build/app/main.js, see lib/precompile.js). When a source changed since that build, it rebuilds
 * first (tens of ms of hashing when nothing changed, ~1 s of esbuild when something did); when the
 * build cannot be written (a read-only checkout), it runs main.ts through tsx as before.
 */
const precompile = require('./lib/precompile.js');

if (!precompile.isFresh()) {
  try {
    precompile.build();
  } catch (e) {
    process.stderr.write(`mega8s: cannot precompile the synth app (${e && e.message ? e.message.split('\n')[0] : e}); running main.ts through tsx\n`);
    require('tsx/cjs');
    require('./main.ts');
    return;
  }
}
require(precompile.OUT);
