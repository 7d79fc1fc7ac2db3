#!/usr/bin/env node
// A stand-in for kubectl in the release tests: records every call and simulates the cluster.
//
//   FAKE_KUBECTL_LOG     file: one JSON line per call, {"args": [...], "stdin": "..."}
//   FAKE_KUBECTL_STATE   file: JSON {configmaps: [...], jobs: {name: role}} kept between calls
//   FAKE_ROLLOUT         ok (default) | fail        what `rollout status` reports
//   FAKE_JOB_SEED        complete (default) | failed | hang   how the seed Job ends
//   FAKE_JOB_SMOKE       complete (default) | failed | hang   how the smoke Job ends
//   FAKE_APPLY_FAIL_AT   n: the n-th `apply` (counted in the log) fails
//   FAKE_READY_REPLICAS  what `get deployment/... -o jsonpath={.status.readyReplicas}` prints (default 1)
'use strict';
const fs = require('fs');

const args = process.argv.slice(2);
const stdin = args.includes('-') ? fs.readFileSync(0, 'utf8') : '';
const logFile = process.env.FAKE_KUBECTL_LOG;
const stateFile = process.env.FAKE_KUBECTL_STATE;
fs.appendFileSync(logFile, `${JSON.stringify({ args, stdin })}\n`);
const state = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : { configmaps: [], jobs: {} };
const save = () => fs.writeFileSync(stateFile, JSON.stringify(state));
const fail = (message) => { process.stderr.write(`${message}\n`); process.exit(1); };
const flag = (name) => { const a = args.find((x) => x.startsWith(`${name}=`)); return a && a.slice(name.length + 1); };

const [verb, kind, name] = args;
if (verb === 'apply' && kind === '-k') {
  const applies = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((c) => c.args[0] === 'apply').length;
  if (String(applies) === process.env.FAKE_APPLY_FAIL_AT) fail('error: unable to recognize "dist": connection refused');
  if (!fs.existsSync(`${name}/kustomization.yaml`)) fail(`error: unable to find one of 'kustomization.yaml' in directory '${name}'`);
  process.stdout.write('service/todo-api configured\ndeployment.apps/todo-api-blue configured\ndeployment.apps/todo-api-green configured\n');
} else if (verb === 'rollout' && kind === 'status') {
  if ((process.env.FAKE_ROLLOUT || 'ok') === 'fail') fail(`error: deployment "${name.split('/')[1]}" exceeded its progress deadline`);
  process.stdout.write(`deployment "${name.split('/')[1]}" successfully rolled out\n`);
} else if (verb === 'get' && kind.startsWith('deployment/') && args.includes('jsonpath={.status.readyReplicas}')) {
  // kubectl prints nothing when the field is absent (no ready pods).
  const ready = process.env.FAKE_READY_REPLICAS === undefined ? '1' : process.env.FAKE_READY_REPLICAS;
  process.stdout.write(ready === '0' ? '' : ready);
} else if (verb === 'get' && kind === 'configmap') {
  if (state.configmaps.includes(name)) process.stdout.write(`configmap/${name}\n`);
} else if (verb === 'create' && kind === 'configmap') {
  if (state.configmaps.includes(name)) fail(`error: configmaps "${name}" already exists`);
  state.configmaps.push(name);
  save();
  process.stdout.write(`configmap/${name} created\n`);
} else if (verb === 'delete' && kind === 'job') {
  if (state.jobs[name]) process.stdout.write(`job.batch "${name}" deleted\n`);
  delete state.jobs[name];
  save();
} else if (verb === 'create' && kind === '-f') {
  const job = JSON.parse(stdin);
  if (state.jobs[job.metadata.name]) fail(`Error from server (AlreadyExists): jobs.batch "${job.metadata.name}" already exists`);
  state.jobs[job.metadata.name] = job.metadata.labels['app.kubernetes.io/component'];
  save();
  process.stdout.write(`job.batch/${job.metadata.name} created\n`);
} else if (verb === 'wait') {
  const condition = flag('--for').replace('condition=', '');
  const job = args[2].replace('job/', '');
  const role = state.jobs[job];
  if (!role) fail(`Error from server (NotFound): jobs.batch "${job}" not found`);
  const outcome = process.env[`FAKE_JOB_${role.toUpperCase()}`] || 'complete';
  if (outcome === condition) {
    process.stdout.write(`job.batch/${job} condition met\n`);
  } else {
    const timeout = Number((flag('--timeout') || '30s').replace(/s$/, ''));
    setTimeout(() => fail(`error: timed out waiting for the condition on jobs/${job}`), timeout * 1000);
  }
} else {
  fail(`fake kubectl: unexpected call: ${args.join(' ')}`);
}
