/**
 * The objects one checkout of the project synthesizes, each with its environment, chart and
 * construct path, read in memory (not from dist/). Runs in-process for the working tree and as
 *   node --require tsx/cjs lib/review/dump.ts <project-root> <out.json> [env...]
 * for the base checkout, whose own code (lib/env, lib/charts, lib/synth/build) it loads.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ReviewObject } from './compare';

export function dumpObjects(root: string, only: readonly string[] = []): ReviewObject[] {
  const load = (m: string) => require(path.join(root, m));
  const { CHARTS } = load('lib/charts');
  const { loadEnvironments } = load('lib/env');
  const { buildEnvironment } = load('lib/synth/build');
  const settings = CHARTS.flatMap((c: any) => (c.settings ? [c.settings] : []));
  const envs = loadEnvironments('envs', root, settings).filter((e: any) => !only.length || only.includes(e.name));
  return envs.flatMap((env: any) => buildEnvironment(env, CHARTS).flatMap((c: any) => c.objects.map((o: any) => ({ env: env.name, chart: c.name, path: o.path, manifest: o.manifest }))));
}

if (require.main === module) {
  const [root, out, ...only] = process.argv.slice(2);
  fs.writeFileSync(out, JSON.stringify(dumpObjects(path.resolve(root), only)));
}
