/**
 * npm run diff -- [--base <git-ref>] [--env <env>...] [--format text|markdown|json]
 *
 * Synthesizes the working tree and the base ref (default: the merge base with main) and prints
 * what changed, object by object, risks first. The base is built in a temporary `git worktree`
 * (the user's checkout is never touched) that borrows this project's node_modules.
 * Exit codes as `kubectl diff`: 0 no change, 1 changes, 2 error.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { compare } from './compare';
import { dumpObjects } from './dump';
import { FORMATS, Format, formatDiff } from './format';

class ReviewError extends Error {}

const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function defaultBase(root: string): string {
  for (const main of ['main', 'origin/main', 'master']) {
    try {
      return git(root, ['merge-base', 'HEAD', main]);
    } catch { /* try the next name */ }
  }
  throw new ReviewError('no --base given and no main branch to take the merge base with: pass --base <git-ref>');
}

/** The base ref's objects, synthesized in a temporary worktree that is always removed. */
function baseObjects(root: string, ref: string, envs: readonly string[]) {
  let sha: string;
  try {
    sha = git(root, ['rev-parse', '--verify', `${ref}^{commit}`]);
  } catch {
    throw new ReviewError(`--base ${JSON.stringify(ref)} is not a commit in ${root}: expected a branch, tag or commit`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-diff-'));
  const tree = path.join(tmp, 'base');
  try {
    git(root, ['worktree', 'add', '--detach', '--quiet', tree, sha]);
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    const out = path.join(tmp, 'objects.json');
    try {
      execFileSync(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'dump.ts'), tree, out, ...envs],
        { cwd: tree, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    } catch (e: any) {
      throw new ReviewError(`synth of the base ${ref} (${sha.slice(0, 12)}) failed:\n${String(e.stderr ?? e.message).trim()}`);
    }
    return JSON.parse(fs.readFileSync(out, 'utf8'));
  } finally {
    try { git(root, ['worktree', 'remove', '--force', tree]); } catch { /* removed below; prune drops the record */ }
    fs.rmSync(tmp, { recursive: true, force: true });
    try { git(root, ['worktree', 'prune']); } catch { /* nothing to prune */ }
  }
}

const program = new Command('mega8s-diff')
  .description('what a change does to every environment: objects added, removed, changed and renamed, risks first')
  .option('--base <ref>', 'git ref to compare against (default: the merge base with main)')
  .option('-e, --env <name...>', 'only these environments')
  .option('--format <format>', `output format: ${FORMATS.join(', ')}`, 'text')
  .exitOverride()
  .action((opts: { base?: string; env?: string[]; format: string }) => {
    if (!FORMATS.includes(opts.format as Format)) throw new ReviewError(`--format ${JSON.stringify(opts.format)} is not one of ${FORMATS.join(', ')}`);
    const envs = (opts.env ?? []).flatMap((e) => e.split(',')).filter((e) => e !== '');
    let root: string;
    try {
      root = git(process.cwd(), ['rev-parse', '--show-toplevel']);
    } catch {
      throw new ReviewError(`${process.cwd()} is not in a git checkout: the diff compares against a git ref`);
    }
    const head = dumpObjects(root, envs);
    const known = new Set(head.map((o) => o.env));
    const unknown = envs.filter((e) => !known.has(e));
    if (unknown.length) throw new ReviewError(`unknown environment ${unknown.join(', ')}: expected one of ${[...new Set(fs.readdirSync(path.join(root, 'envs')).filter((f) => f.endsWith('.env')).map((f) => f.slice(0, -4)))].join(', ')}`);
    const ref = opts.base ?? defaultBase(root);
    const diff = compare(baseObjects(root, ref, envs), head);
    process.stdout.write(formatDiff(diff, opts.format as Format, opts.base ?? `merge base ${ref.slice(0, 12)}`));
    process.exitCode = diff.changes.length ? 1 : 0;
  });

try {
  program.parse();
} catch (e: any) {
  if (e?.code === 'commander.helpDisplayed' || e?.code === 'commander.version') process.exit(0);
  if (e?.code?.startsWith?.('commander.')) process.exit(2);
  console.error(`diff failed: ${e instanceof ReviewError ? e.message : e?.stack ?? e}`);
  process.exit(2);
}
