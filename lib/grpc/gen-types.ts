/**
 * For the tests that prove committed generated types are current: runs proto-loader-gen-types on a
 * .proto into a temporary folder and reads both trees.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GEN_TYPES_ARGS } from './proto';

/** Every file below `dir`, by path relative to it. */
export function filesUnder(dir: string): Map<string, string> {
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

/** What proto-loader-gen-types makes of `protoFile` (run in `root` with GEN_TYPES_ARGS), next to what is committed in `committedDir`. */
export function generatedTypes(root: string, protoFile: string, committedDir: string): { fresh: Map<string, string>; committed: Map<string, string> } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-types-'));
  try {
    const bin = path.join(path.dirname(require.resolve('@grpc/proto-loader')), '../bin/proto-loader-gen-types.js');
    execFileSync(process.execPath, [bin, ...GEN_TYPES_ARGS, '-O', out, protoFile], { cwd: root, stdio: 'pipe' });
    return { fresh: filesUnder(out), committed: filesUnder(path.join(root, committedDir)) };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
