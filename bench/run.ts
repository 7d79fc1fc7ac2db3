/**
 * `npm run bench`: the mega8s fleet against the naive cdk8s-plus-27 fleet for N = 400 and 10,000,
 * each in its own child process (fresh heap), plus the wall time of `npm run synth` for every
 * environment. Prints figures and ratios; asserts nothing (the machines are shared and noisy).
 *
 *   npm run bench [-- --runs 3 --sizes 400,10000]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';

const opts = new Command('bench')
  .option('--runs <n>', 'runs of each measurement (the median is reported)', (v) => parseInt(v, 10), 3)
  .option('--sizes <list>', 'fleet sizes', '400,10000')
  .parse()
  .opts<{ runs: number; sizes: string }>();

const ROOT = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-bench-'));

function run(script: string, args: string[]): any {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`${script} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function median<T>(xs: T[], key: (x: T) => number): T {
  return [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)];
}

function wall(cmd: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return performance.now() - t;
}

try {
  const rows: string[] = [];
  for (const size of opts.sizes.split(',').map(Number)) {
    const runs = (way: string) => Array.from({ length: opts.runs }, (_, i) => run(`bench/${way}.ts`, ['--size', String(size), '--out', path.join(tmp, `${way}-${size}-${i}`)]));
    const mega = median(runs('fleet'), (x) => x.ms);
    const naive = median(runs('naive-kplus'), (x) => x.ms);
    console.log(JSON.stringify(mega));
    console.log(JSON.stringify(naive));
    rows.push(`| ${size} | ${mega.objects} | ${mega.ms} ms, ${mega.rssMB} MB (checks +${mega.phases.checkMs} ms) | ${naive.ms} ms, ${naive.rssMB} MB | ${(naive.ms / mega.ms).toFixed(1)}x | ${(naive.rssMB / mega.rssMB).toFixed(1)}x |`);
  }
  const synth = Array.from({ length: opts.runs }, () => wall('npm', ['run', '-s', 'synth', '--', '--out', path.join(tmp, 'dist')])).sort((a, b) => a - b)[Math.floor(opts.runs / 2)];
  console.log('');
  console.log(`median of ${opts.runs} runs each, on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'})`);
  console.log('| services | objects | mega8s (build+toJson+yaml+write) | naive cdk8s-plus-27 | speed-up | memory ratio |');
  console.log('| ---: | ---: | --- | --- | ---: | ---: |');
  for (const row of rows) console.log(row);
  console.log(`\nnpm run synth, every environment, wall: ${Math.round(synth)} ms`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
