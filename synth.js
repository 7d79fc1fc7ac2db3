#!/usr/bin/env node
'use strict';
/**
 * What `npm run synth` and `cdk8s synth` (cdk8s.yaml's `app:`) run: main.ts, precompiled with the
 * packages it uses (build/app/main.js, see lib/precompile.js) and run with a V8 code cache. When an
 * input changed since that build, it rebuilds first (a few ms of stat calls when nothing changed,
 * ~1 s of esbuild when something did); when the build cannot be written (a read-only checkout), it
 * runs main.ts through tsx as before.
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
precompile.run();
