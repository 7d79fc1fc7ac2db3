'use strict';
/**
 * The fleet the way kustomize users write it: one base (a Deployment and a LoadBalancer Service)
 * and one overlay per service that renames it and sets its instance label, all listed by a top
 * kustomization in namespace `fleet`. `node kustomize.js --size N --out DIR` writes that tree;
 * `kubectl kustomize DIR` (timed by bench/run.ts) renders it.
 */
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const { service, pad, args } = require('./objects');

const { size, out } = args();
fs.mkdirSync(path.join(out, 'base'), { recursive: true });
fs.writeFileSync(path.join(out, 'base', 'fleet.yaml'), service('service').map((o) => yaml.dump(o)).join('---\n'));
fs.writeFileSync(path.join(out, 'base', 'kustomization.yaml'), 'resources:\n  - fleet.yaml\n');
const overlays = [];
for (let i = 0; i < size; i++) {
  const n = pad(i, size);
  overlays.push(`s-${n}`);
  fs.mkdirSync(path.join(out, `s-${n}`), { recursive: true });
  fs.writeFileSync(path.join(out, `s-${n}`, 'kustomization.yaml'), [
    'resources:', '  - ../base', `nameSuffix: "-${n}"`,
    'labels:', '  - pairs:', `      app.kubernetes.io/instance: service-${n}`, '    includeSelectors: true', '',
  ].join('\n'));
}
fs.writeFileSync(path.join(out, 'kustomization.yaml'), ['namespace: fleet', 'resources:', ...overlays.map((o) => `  - ${o}`), ''].join('\n'));
