'use strict';
// The floor: the fleet as JSON (valid YAML), JSON.stringify and one write. `node floor.js --size N --out FILE`
const fs = require('fs');
const { fleet, args } = require('./objects');

const { size, out } = args();
fs.writeFileSync(out, [...fleet(size)].map((o) => JSON.stringify(o)).join('\n---\n') + '\n');
