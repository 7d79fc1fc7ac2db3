#!/usr/bin/env node
// A stand-in for `npm run synth -- --env <env>` in the release tests (fast, and independent of the
// other charts): reads envs/<env>.env from the working directory and writes dist/<env>/ with the
// objects the release looks at. Appends {"active", "blue", "green"} as it read them to FAKE_SYNTH_LOG.
// FAKE_SYNTH_FAIL_AT=n makes the n-th call fail.
'use strict';
const fs = require('fs');
const dotenv = require('dotenv');

const env = process.argv[2];
const values = dotenv.parse(fs.readFileSync(`envs/${env}.env`, 'utf8'));
const seen = { active: values.TODO_API_ACTIVE_COLOR, blue: values.TODO_API_BLUE_TAG, green: values.TODO_API_GREEN_TAG };
fs.appendFileSync(process.env.FAKE_SYNTH_LOG, `${JSON.stringify(seen)}\n`);
const calls = fs.readFileSync(process.env.FAKE_SYNTH_LOG, 'utf8').trim().split('\n').length;
if (String(calls) === process.env.FAKE_SYNTH_FAIL_AT) {
  process.stderr.write('synth failed: a check did not pass\n');
  process.exit(1);
}
const idle = seen.active === 'blue' ? 'green' : 'blue';
const labels = (component) => `{ app.kubernetes.io/name: todo-api, app.kubernetes.io/component: ${component} }`;
const objects = [
  `apiVersion: v1\nkind: Service\nmetadata: { name: todo-api, namespace: todo-api }\nspec: { selector: { app.kubernetes.io/name: todo-api, mega8s.io/color: ${seen.active} } }`,
  ...['blue', 'green'].map((c) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: todo-api-${c}, namespace: todo-api }\nspec: { template: { spec: { containers: [ { name: todo-api, image: "gcr.io/x/todo-api:${seen[c]}" } ] } } }`),
  `apiVersion: batch/v1\nkind: Job\nmetadata: { name: todo-api-seed-${seen[idle]}, namespace: todo-api, labels: ${labels('seed')} }\nspec: { suspend: true, template: { spec: { containers: [ { name: seed, args: [seed] } ] } } }`,
  `apiVersion: batch/v1\nkind: Job\nmetadata: { name: todo-api-smoke-${seen[idle]}, namespace: todo-api, labels: ${labels('smoke')} }\nspec: { suspend: true, template: { spec: { containers: [ { name: smoke, args: [smoke, --target, "todo-api-preview:10000"] } ] } } }`,
];
fs.mkdirSync(`dist/${env}`, { recursive: true });
fs.writeFileSync(`dist/${env}/todo-api.k8s.yaml`, `${objects.join('\n---\n')}\n`);
fs.writeFileSync(`dist/${env}/kustomization.yaml`, 'resources:\n  - todo-api.k8s.yaml\n');
process.stdout.write(`${env}: 5 objects -> dist/${env}/\n`);
