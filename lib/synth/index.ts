/**
 * The synth pipeline: environments -> charts -> checks -> YAML -> dist/<env>/, all or nothing.
 */
import { CHARTS } from '../charts';
import { ChartDefinition } from '../charts/chart';
import { EnvError, Environment, loadEnvironments } from '../env';
import { BuildError, buildEnvironment } from './build';
import { checkObjects, formatProblem } from './check';
import { renderEnvironment } from './render';
import { OutputError, SeamPoint, checkOutputFolder, resolveOutput, writeDist } from './write';

export interface SynthOptions {
  /** Project folder that envs/ and dist/ are relative to. @default process.cwd() */
  readonly root?: string;
  /** @default 'envs' */
  readonly envsDir?: string;
  /** @default 'dist' */
  readonly outDir?: string;
  /** Only these environments (the others in dist/ stay as they are). @default every env file */
  readonly only?: readonly string[];
  /** @default CHARTS */
  readonly charts?: readonly ChartDefinition[];
  /** Build and check, but write nothing. @default false */
  readonly dryRun?: boolean;
  /**
   * What lands in each `<out>/<env>/`: everything (`dist`: manifests, kustomization.yaml,
   * summary.md) or only the `<chart>.k8s.yaml` manifests (`manifests`: what `cdk8s synth` reads).
   * `stream`: every manifest of every environment in one file, `all/mega8s.k8s.yaml`, for
   * `cdk8s synth --stdout`, which pipes all files to stdout at once and so interleaves the chunks
   * of several large files.
   * @default 'dist'
   */
  readonly layout?: 'dist' | 'manifests' | 'stream';
  /** Where the writer reports what it recovered or could not clean up. @default ignored */
  readonly log?: (line: string) => void;
  /** Test seam of the writer: may block or throw at each point (see lib/synth/write.ts). */
  readonly seam?: (point: SeamPoint) => void;
}

export interface EnvironmentResult {
  readonly env: Environment;
  readonly objects: number;
  readonly files: ReadonlyMap<string, string>;
}

/** Any reason the synth stopped; `dist/` is untouched when it is thrown. */
export class SynthError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(problems.length > 60
      ? [...problems.slice(0, 60), `… and ${problems.length - 60} more problems`].join('\n')
      : problems.join('\n'));
    this.name = 'SynthError';
  }
}

/** Builds, checks and renders one environment; throws SynthError listing every problem. */
export function synthEnvironment(env: Environment, charts: readonly ChartDefinition[] = CHARTS): EnvironmentResult {
  let built;
  try {
    built = buildEnvironment(env, charts);
  } catch (e) {
    if (e instanceof BuildError) throw new SynthError([e.message]);
    throw e;
  }
  const objects = built.flatMap((c) => c.objects);
  const problems = checkObjects(env, objects).map((p) => formatProblem(env, p));
  if (problems.length) throw new SynthError(problems);
  return { env, objects: objects.length, files: renderEnvironment(env, built) };
}

export function synthesize(options: SynthOptions = {}): EnvironmentResult[] {
  const root = options.root ?? process.cwd();
  if (!options.dryRun) {
    // Refuse a bad output folder before the work (writeDist checks again under its lock).
    const outDir = options.outDir ?? 'dist';
    try {
      checkOutputFolder(resolveOutput(outDir, root), outDir, root, [options.envsDir ?? 'envs']);
    } catch (e) {
      if (e instanceof OutputError) throw new SynthError([e.message]);
      throw e;
    }
  }
  let envs: Environment[];
  try {
    envs = loadEnvironments(options.envsDir ?? 'envs', root, (options.charts ?? CHARTS).flatMap((c) => (c.settings ? [c.settings] : [])));
  } catch (e) {
    if (e instanceof EnvError) throw new SynthError(e.message.split('\n'));
    throw e;
  }
  if (options.only?.length) {
    const unknown = options.only.filter((n) => !envs.some((e) => e.name === n));
    if (unknown.length) throw new SynthError([`unknown environment ${unknown.join(', ')}: expected one of ${envs.map((e) => e.name).join(', ')} (from ${options.envsDir ?? 'envs'}/*.env)`]);
    envs = envs.filter((e) => options.only!.includes(e.name));
  }
  const results: EnvironmentResult[] = [];
  const problems: string[] = [];
  for (const env of envs) {
    try {
      results.push(synthEnvironment(env, options.charts ?? CHARTS));
    } catch (e) {
      if (e instanceof SynthError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new SynthError(problems);
  if (!options.dryRun) {
    const layout = options.layout ?? 'dist';
    // For cdk8s: only the manifests, each file starting a document, so that files concatenate.
    const manifests = (r: EnvironmentResult) => [...r.files].filter(([f]) => f.endsWith('.k8s.yaml')).map(([f, c]) => [f, c.startsWith('---\n') ? c : `---\n${c}`] as const);
    const trees: Map<string, ReadonlyMap<string, string>> = layout === 'dist'
      ? new Map(results.map((r) => [r.env.name, r.files]))
      : layout === 'manifests'
        ? new Map(results.map((r) => [r.env.name, new Map(manifests(r))]))
        : new Map([['all', new Map([['mega8s.k8s.yaml', results.flatMap((r) => manifests(r).map(([, c]) => c)).join('')]])]]);
    try {
      const log = writeDist(options.outDir ?? 'dist', trees, {
        root,
        protect: [options.envsDir ?? 'envs'],
        keepOthers: !!options.only?.length,
        seam: options.seam,
      });
      for (const line of log) options.log?.(line);
    } catch (e) {
      if (e instanceof OutputError) throw new SynthError([e.message]);
      throw e;
    }
  }
  return results;
}
