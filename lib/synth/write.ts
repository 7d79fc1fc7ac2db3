/**
 * Writes dist/ so that it is never half-written: the new tree is built in a temporary folder
 * beside it and swapped in with renames only after every file is on disk.
 */
import * as fs from 'fs';
import * as path from 'path';

/**
 * Replaces `outDir` with a tree where each `envs` entry is `outDir/<env>/<file>`. When `keepOthers`
 * is true, environment folders of `outDir` not in `envs` are carried over unchanged (a partial
 * synth, `--env prod`); otherwise they are dropped (their env file is gone).
 */
export function writeDist(outDir: string, envs: ReadonlyMap<string, ReadonlyMap<string, string>>, keepOthers: boolean): void {
  const out = path.resolve(outDir);
  const parent = path.dirname(out);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `${path.basename(out)}.tmp-`));
  try {
    if (keepOthers && fs.existsSync(out)) {
      for (const entry of fs.readdirSync(out, { withFileTypes: true })) {
        if (!envs.has(entry.name)) fs.cpSync(path.join(out, entry.name), path.join(tmp, entry.name), { recursive: true });
      }
    }
    for (const [env, files] of envs) {
      fs.mkdirSync(path.join(tmp, env));
      for (const [name, content] of files) fs.writeFileSync(path.join(tmp, env, name), content);
    }
    const old = fs.existsSync(out) ? `${tmp}.old` : undefined;
    if (old) fs.renameSync(out, old);
    fs.renameSync(tmp, out);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
