/**
 * `npm run readme:env`: writes the README's key table from the settings declarations (the
 * project's in lib/env.ts, each chart's in lib/charts/<chart>.ts). lib/env.test.ts fails when the
 * committed README differs from what this writes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { settingsTable, withSettingsTable } from './env';

const readme = path.join(__dirname, '..', 'README.md');
const before = fs.readFileSync(readme, 'utf8');
const after = withSettingsTable(before, settingsTable());
if (after !== before) fs.writeFileSync(readme, after);
console.log(after === before ? 'README.md: the key table is up to date' : 'README.md: wrote the key table');
