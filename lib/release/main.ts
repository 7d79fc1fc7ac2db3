/**
 * `npm run release -- --env <env> --tag <tag> [--dry-run]`   release todo-api blue/green
 * `npm run release -- --env <env> --rollback [--dry-run]`    make the other colour serve again
 *
 * See release.ts for the steps. Exit 0 on success, 1 when the release stopped (the last lines say what
 * to do next), 2 for bad options.
 */
import { Command, Option } from 'commander';
import { parseDuration } from '../grpc/options';
import { DEFAULT_SYNTH, ReleaseError, runRelease, validateReleaseOptions } from './release';

interface Opts {
  env: string; tag?: string; rollback: boolean; dryRun: boolean; synth: string; kubectl: string; project: string;
  envs: string; out: string; namespace: string; app: string; rolloutTimeout: number; jobTimeout: number;
}

const program = new Command('release')
  .description('release todo-api blue/green: deploy the idle colour, seed on the first release, smoke-test it, then switch')
  .requiredOption('-e, --env <env>', 'environment (envs/<env>.env)')
  .option('-t, --tag <tag>', 'image tag to release into the idle colour')
  .option('--rollback', 'make the other colour (the previous release) serve again', false)
  .option('--dry-run', 'print the plan; change nothing', false)
  .option('--synth <command>', 'shell command that synthesizes dist/<env>/ (<env> is replaced)', DEFAULT_SYNTH)
  .option('--kubectl <path>', 'kubectl to run', 'kubectl')
  .option('-C, --project <dir>', 'project directory (envs/ and dist/ are in it; commands run in it)', '.')
  .option('--envs <dir>', 'folder of <env>.env files', 'envs')
  .option('-o, --out <dir>', 'folder of the synthesized output', 'dist')
  .option('--namespace <ns>', 'namespace of todo-api', 'todo-api')
  .option('--app <name>', 'name of the blue/green service (<app>-blue, <app>-green)', 'todo-api')
  .addOption(new Option('--rollout-timeout <duration>', 'how long to wait for the idle colour to roll out').argParser(parseDuration).default(300_000, '5m'))
  .addOption(new Option('--job-timeout <duration>', 'how long to wait for the seed and smoke Jobs').argParser(parseDuration).default(300_000, '5m'))
  .action(async (opts: Opts) => {
    const options = {
      env: opts.env, tag: opts.tag, rollback: opts.rollback, dryRun: opts.dryRun, synth: opts.synth, kubectl: opts.kubectl,
      project: opts.project, envsDir: opts.envs, distDir: opts.out, namespace: opts.namespace, app: opts.app,
      rolloutTimeoutMs: opts.rolloutTimeout, jobTimeoutMs: opts.jobTimeout,
    };
    try {
      validateReleaseOptions(options);
    } catch (err) {
      program.error(`error: ${(err as Error).message}`, { exitCode: 2 });
    }
    try {
      await runRelease(options);
    } catch (err) {
      if (!(err instanceof ReleaseError)) throw err;
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
    }
  });

void program.parseAsync();
