'use strict';
// The 20-line script: the fleet through js-yaml's dump, one write. `node js-yaml.js --size N --out FILE`
const fs = require('fs');
const yaml = require('js-yaml');
const { fleet, args } = require('./objects');

const { size, out } = args();
fs.writeFileSync(out, [...fleet(size)].map((o) => yaml.dump(o, { noRefs: true })).join('---\n'));
