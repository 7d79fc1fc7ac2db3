/**
 * The mega8s app: every chart x every environment -> dist/<env>/.
 *
 *   npm run synth                 every environment in envs/
 *   npm run synth -- --env prod   only prod (the other dist/ folders stay as they are)
 *
 * Nothing is written unless every environment builds and passes every check.
 */
import { Command } from 'commander';
import { SynthError, synthesize } from './lib/synth';

const program = new Command('mega8s-synth')
  .description('synthesize every chart for every environment into dist/<env>/')
  .option('-e, --env <name...>', 'only these environments (repeat or list)')
  .option('--envs <dir>', 'folder of <env>.env files', 'envs')
  .option('-o, --out <dir>', 'output folder', 'dist')
  .option('--dry-run', 'build and check, write nothing', false)
  .action((opts: { env?: string[]; envs: string; out: string; dryRun: boolean }) => {
    const started = performance.now();
    try {
      const only = (opts.env ?? []).flatMap((e) => e.split(',')).filter(Boolean);
      const results = synthesize({ envsDir: opts.envs, outDir: opts.out, only, dryRun: opts.dryRun });
      for (const r of results) {
        console.log(`${r.env.name}: ${r.objects} objects -> ${opts.out}/${r.env.name}/ (${[...r.files.keys()].join(', ')})`);
      }
      const verb = opts.dryRun ? 'checked' : 'wrote';
      console.log(`${verb} ${results.length} environment(s) in ${Math.round(performance.now() - started)} ms`);
    } catch (e) {
      if (e instanceof SynthError) {
        console.error(`synth failed; ${opts.out}/ is unchanged:\n${e.message}`);
        process.exitCode = 1;
        return;
      }
      throw e;
    }
  });

program.parse();
