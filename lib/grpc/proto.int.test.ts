import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GEN_TYPES_ARGS, WHOAMI_PROTO, whoamiPackage, whoamiPackageDefinition } from './proto';
import { REPO } from './processes';

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

test('lib/grpc/generated is what proto-loader-gen-types makes of protos/whoami.proto', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'whoami-types-'));
  try {
    const bin = path.join(path.dirname(require.resolve('@grpc/proto-loader')), '../bin/proto-loader-gen-types.js');
    execFileSync(process.execPath, [bin, ...GEN_TYPES_ARGS, '-O', out, WHOAMI_PROTO], { cwd: REPO, stdio: 'pipe' });
    const fresh = filesUnder(out);
    const committed = filesUnder(path.join(REPO, 'lib/grpc/generated'));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [file, text] of fresh) expect({ file, text: committed.get(file) }).toEqual({ file, text });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('the loaded package has the WhoAmI service with its one method, Who', () => {
  const def = whoamiPackageDefinition();
  expect(Object.keys(def).sort()).toEqual(['whoami.v1.WhoAmI', 'whoami.v1.WhoReply', 'whoami.v1.WhoRequest']);
  const service = whoamiPackage().whoami.v1.WhoAmI.service;
  expect(Object.keys(service)).toEqual(['Who']);
  expect(service.Who.path).toBe('/whoami.v1.WhoAmI/Who');
  expect(service.Who.requestStream || service.Who.responseStream).toBe(false);
});
