/**
 * The mega8s app: every chart x every environment -> dist/<env>/.
 *
 *   npm run synth                 every environment in envs/
 *   npm run synth -- --env prod   only prod (the other dist/ folders stay as they are)
 *   npx cdk8s synth               the same app, driven by cdk8s-cli: writes only the manifests,
 *                                 <env>/<chart>.k8s.yaml, into cdk8s's folder (CDK8S_OUTDIR:
 *                                 cdk8s.out/ as cdk8s.yaml says, or `-o DIR`), where cdk8s lists
 *                                 them and its validation plugins read them; for `--stdout`, one
 *                                 file all/mega8s.k8s.yaml that cdk8s prints. It never writes or
 *                                 deletes dist/.
 *
 * Nothing is written unless every environment builds and passes every check; the output folder is
 * replaced only if it is mega8s output, crash-safely (lib/synth/write.ts).
 *
 * Test seam (used by main.int.test.ts, never set otherwise): MEGA8S_TEST_PAUSE_AT=<lock|write|swap|renamed>
 * makes the writer print "paused at <point>" to stderr and wait MEGA8S_TEST_PAUSE_MS (default 60 s)
 * there, so a test can kill it at that instant; MEGA8S_TEST_FAIL_AT=<point>:<CODE> makes the writer
 * fail there with that I/O error code (ENOSPC, EROFS, …).
 */
import * as fs from 'fs';
import { Command } from 'commander';
import { SynthError, synthesize } from './lib/synth';
import { OutputError, SeamPoint, recoverIfNeeded } from './lib/synth/write';

function testSeam(): ((point: SeamPoint) => void) | undefined {
  const pauseAt = process.env.MEGA8S_TEST_PAUSE_AT;
  const failAt = process.env.MEGA8S_TEST_FAIL_AT;
  if (!pauseAt && !failAt) return undefined;
  const pauseMs = Number(process.env.MEGA8S_TEST_PAUSE_MS ?? 60_000);
  const [failPoint, failCode] = (failAt ?? '').split(':');
  return (point) => {
    if (point === pauseAt) {
      fs.writeSync(2, `paused at ${point} (pid ${process.pid})\n`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
    }
    if (point === failPoint) throw Object.assign(new Error(`${failCode} (simulated)`), { code: failCode });
  };
}

const cdk8sOutDir = process.env.CDK8S_OUTDIR;

function isEmptyFolder(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

const program = new Command('mega8s-synth')
  .description('synthesize every chart for every environment into dist/<env>/')
  .option('-e, --env <name...>', 'only these environments (repeat or list)')
  .option('--envs <dir>', 'folder of <env>.env files', 'envs')
  .option('-o, --out <dir>', `output folder (default: dist, or $CDK8S_OUTDIR when cdk8s synth runs the app)`)
  .option('--dry-run', 'build and check, write nothing', false)
  .action((opts: { env?: string[]; envs: string; out?: string; dryRun: boolean }) => {
    // Where start-up ends (bench/load-times.js reads it): everything is loaded, the synth begins.
    performance.mark('mega8s:synth-start');
    const started = performance.now();
    // Under cdk8s synth: cdk8s's folder, manifests only; otherwise dist/ with everything.
    const underCdk8s = opts.out === undefined && cdk8sOutDir !== undefined;
    const out = opts.out ?? cdk8sOutDir ?? 'dist';
    // cdk8s deletes its output folder before it runs the app, except for --stdout, where it hands
    // over a fresh empty temp folder and pipes every file in it to stdout at once (interleaving
    // large files): then one file, every manifest in order.
    const forStdout = underCdk8s && isEmptyFolder(out);
    try {
      const only = (opts.env ?? []).flatMap((e) => e.split(','));
      if (only.some((e) => e.trim() === '')) {
        throw new SynthError([`--env ${JSON.stringify(opts.env?.join(',') ?? '')} names an empty environment: expected environment names such as dev,prod`]);
      }
      try {
        for (const line of recoverIfNeeded(out, process.cwd(), [opts.envs])) console.error(line);
      } catch (e) {
        if (e instanceof OutputError) throw new SynthError([e.message]);
        throw e;
      }
      const results = synthesize({
        envsDir: opts.envs, outDir: out, only, dryRun: opts.dryRun,
        layout: forStdout ? 'stream' : underCdk8s ? 'manifests' : 'dist', seam: testSeam(),
        log: (line) => console.error(line),
      });
      for (const r of results) {
        const files = [...r.files.keys()].filter((f) => !underCdk8s || f.endsWith('.k8s.yaml'));
        const where = forStdout ? `${out}/all/mega8s.k8s.yaml` : `${out}/${r.env.name}/ (${files.join(', ')})`;
        console.log(`${r.env.name}: ${r.objects} objects -> ${where}`);
      }
      const verb = opts.dryRun ? 'checked' : 'wrote';
      console.log(`${verb} ${results.length} environment(s) in ${Math.round(performance.now() - started)} ms`);
    } catch (e) {
      if (e instanceof SynthError) {
        const shown = out === '' ? '""' : `${out.replace(/\/+$/, '')}/`;
        console.error(`synth failed; ${shown} is unchanged:\n${e.message}`);
        process.exitCode = 1;
        return;
      }
      throw e;
    }
  });
program.parse();
