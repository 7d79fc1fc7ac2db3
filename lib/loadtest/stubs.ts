/**
 * `npm run loadtest:stubs [-- --out <dir>] [--python <interpreter>]`
 *
 * Generates the Python gRPC stubs of every `protos/*.proto` (grpc_tools.protoc) into
 * lib/loadtest/locust/stubs/ (git-ignored), where the locustfiles find them when MEGA8S_GRPC_STUBS
 * is unset: for running `locust -f lib/loadtest/locust/<file>.py` by hand. `npm run loadtest:local`
 * generates its own copy for each run and needs no previous step.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { DEFAULT_STUBS_DIR, generateStubs, locustPython } from './locust';

async function main(): Promise<void> {
  const opts = new Command('loadtest:stubs')
    .description('generate the Python gRPC stubs of protos/*.proto for the locustfiles')
    .option('--out <dir>', 'where to write them', path.relative(process.cwd(), DEFAULT_STUBS_DIR))
    .option('--python <interpreter>', 'the Python whose grpc_tools to use (default: LOCUST_PYTHON, else the one of `locust` on PATH)')
    .parse()
    .opts<{ out: string; python?: string }>();
  const out = path.resolve(opts.out);
  // Start clean: stubs of a .proto that was removed must not linger.
  for (const f of fs.existsSync(out) ? fs.readdirSync(out) : []) {
    if (/_pb2(_grpc)?\.py$/.test(f)) fs.rmSync(path.join(out, f));
  }
  try {
    const modules = await generateStubs(out, { python: opts.python ?? locustPython() });
    process.stdout.write(`${modules.map((m) => path.join(path.relative(process.cwd(), out), `${m}.py`)).join('\n')}\n`);
  } catch (err) {
    process.stderr.write(`loadtest:stubs: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

void main();
