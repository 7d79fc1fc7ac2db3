/**
 * The blue/green release of todo-api over mega8s's own output (bg-kube's `publish`, step by step):
 *
 *   1. read envs/<env>.env: TODO_API_ACTIVE_COLOR says which colour serves; the other one is idle
 *   2. write the new tag into the idle colour's key (TODO_API_BLUE_TAG or TODO_API_GREEN_TAG)
 *   3. synth                                   (default `npm run -s synth -- --env <env>`)
 *   4. kubectl apply -k dist/<env>
 *   5. kubectl rollout status deployment/todo-api-<idle> -n todo-api --timeout=…
 *   6. seed, only when the database has never been seeded: ConfigMap `todo-api-seeded` is absent.
 *      The seed Job (from dist/<env>/, labelled app.kubernetes.io/component=seed) is created afresh and
 *      waited for; then the ConfigMap is created, so later releases skip the seed.
 *   7. smoke: the smoke Job (labelled app.kubernetes.io/component=smoke; it calls the preview Service,
 *      which selects the idle colour) is created afresh and waited for
 *   8. flip TODO_API_ACTIVE_COLOR to the idle colour, synth, kubectl apply -k dist/<env>
 *
 * A failure in 2-7 stops the release: the env file gets its old bytes back and dist/ is synthesized from
 * it again (nothing is applied: the public Service never left the active colour). A failure in 8 also
 * applies the restored output, so the old colour serves again. `rollback` flips the active colour back
 * to the other one (whose tag the env file still holds) after checking that its Deployment is rolled
 * out and has ready pods.
 *
 * Jobs are deleted and created (not applied) so that each release runs them once, at this point, even
 * when a Job of the same name from an earlier attempt exists or when `apply -k` already created it. The
 * output renders them suspended (`spec.suspend: true`: `apply -k` creates them without running them);
 * the release creates its run with `suspend: false`.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { readEnvValue, setEnvValue } from './env-file';

export const COLORS = ['blue', 'green'] as const;
export type Color = (typeof COLORS)[number];

export const ACTIVE_KEY = 'TODO_API_ACTIVE_COLOR';
export const TAG_KEYS: Readonly<Record<Color, string>> = { blue: 'TODO_API_BLUE_TAG', green: 'TODO_API_GREEN_TAG' };
/** The label that marks the seed and smoke Jobs in the synthesized output. */
export const JOB_ROLE_LABEL = 'app.kubernetes.io/component';
export const DEFAULT_SYNTH = 'npm run -s synth -- --env <env>';

export interface ReleaseOptions {
  readonly env: string;
  /** The image tag to release; required unless `rollback`. */
  readonly tag?: string;
  readonly rollback?: boolean;
  readonly dryRun?: boolean;
  /** The project directory (envs/ and dist/ are relative to it; commands run in it). @default process.cwd() */
  readonly project?: string;
  /** Folder of the env files. @default envs */
  readonly envsDir?: string;
  /** Folder of the synthesized output. @default dist */
  readonly distDir?: string;
  /** Shell command that synthesizes; `<env>` is replaced by the environment. @default DEFAULT_SYNTH */
  readonly synth?: string;
  /** @default kubectl (from PATH) */
  readonly kubectl?: string;
  /** @default todo-api */
  readonly namespace?: string;
  /** Deployments are `<app>-blue` and `<app>-green`; the seed marker is ConfigMap `<app>-seeded`. @default todo-api */
  readonly app?: string;
  /** @default 300000 */
  readonly rolloutTimeoutMs?: number;
  /** @default 300000 */
  readonly jobTimeoutMs?: number;
  /** Environment of the commands the release runs. @default process.env */
  readonly processEnv?: NodeJS.ProcessEnv;
  /** Where the release reports (one line per call). @default stdout */
  readonly out?: (line: string) => void;
}

export class ReleaseError extends Error {}

interface Step {
  readonly title: string;
  /** The command line, for the plan and the log. */
  readonly shows: string;
  run(): Promise<void>;
}

interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)}s`;
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function other(color: Color): Color {
  return color === 'blue' ? 'green' : 'blue';
}

export function validateReleaseOptions(o: ReleaseOptions): void {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(o.env)) throw new ReleaseError(`--env ${JSON.stringify(o.env)} is not an environment name: expected lowercase letters, digits and -`);
  if (o.rollback && o.tag !== undefined) throw new ReleaseError('--rollback takes no --tag: it flips back to the tag the other colour already runs');
  if (!o.rollback && o.tag === undefined) throw new ReleaseError('--tag is required (or --rollback)');
  if (o.tag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(o.tag)) {
    throw new ReleaseError(`--tag ${JSON.stringify(o.tag)} is not an image tag: expected up to 128 letters, digits, _ . - (not starting with . or -)`);
  }
}

/** Runs a release or a rollback; resolves when it succeeded, rejects with a ReleaseError that says what to do next. */
export async function runRelease(o: ReleaseOptions): Promise<void> {
  validateReleaseOptions(o);
  const project = path.resolve(o.project ?? process.cwd());
  const envsDir = o.envsDir ?? 'envs';
  const distDir = o.distDir ?? 'dist';
  const envFileRel = path.join(envsDir, `${o.env}.env`);
  const envFile = path.join(project, envFileRel);
  const distRel = path.join(distDir, o.env);
  const kubectl = o.kubectl ?? 'kubectl';
  const ns = o.namespace ?? 'todo-api';
  const app = o.app ?? 'todo-api';
  const synthCommand = (o.synth ?? DEFAULT_SYNTH).replace(/<env>/g, o.env);
  const rolloutTimeout = seconds(o.rolloutTimeoutMs ?? 300_000);
  const jobTimeout = seconds(o.jobTimeoutMs ?? 300_000);
  const out = o.out ?? ((line: string) => { process.stdout.write(`${line}\n`); });
  const env = o.processEnv ?? process.env;

  if (!fs.existsSync(envFile)) throw new ReleaseError(`${envFileRel} does not exist: expected one of ${listEnvs(path.join(project, envsDir))}`);
  const original = fs.readFileSync(envFile, 'utf8');
  const activeValue = readEnvValue(original, ACTIVE_KEY);
  if (activeValue !== 'blue' && activeValue !== 'green') {
    throw new ReleaseError(`${envFileRel}: ${ACTIVE_KEY} is ${activeValue === undefined ? 'not set' : JSON.stringify(activeValue)}: expected blue or green`);
  }
  const active: Color = activeValue;
  const idle = other(active);
  const tags = { blue: readEnvValue(original, TAG_KEYS.blue) ?? '', green: readEnvValue(original, TAG_KEYS.green) ?? '' };

  // ---- the commands -------------------------------------------------------------------------------
  const exec = (file: string, args: readonly string[], stdin?: string, shell = false): Promise<CommandResult> => new Promise((resolve) => {
    const child = shell
      ? spawn('sh', ['-c', file], { cwd: project, env, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(file, args, { cwd: project, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (err) => resolve({ code: null, stdout, stderr: `${stderr}${err.message}\n` }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
  const echo = (r: CommandResult): void => {
    for (const line of `${r.stdout}${r.stderr}`.split('\n')) if (line.trim() !== '') out(`    ${line}`);
  };
  const must = async (what: string, file: string, args: readonly string[], stdin?: string): Promise<CommandResult> => {
    const r = await exec(file, args, stdin);
    echo(r);
    if (r.code !== 0) throw new ReleaseError(`${what} failed (exit ${r.code ?? 'not started'})`);
    return r;
  };
  const k = (...args: string[]): { file: string; args: string[]; shows: string } => ({ file: kubectl, args, shows: [kubectl, ...args].map(quote).join(' ') });

  const synth = (): Step => ({
    title: `synth ${o.env}`,
    shows: synthCommand,
    async run() {
      const r = await exec(synthCommand, [], undefined, true);
      echo(r);
      if (r.code !== 0) throw new ReleaseError(`synth failed (exit ${r.code})`);
    },
  });
  const apply = (): Step => {
    const c = k('apply', '-k', distRel);
    return { title: `apply ${distRel}`, shows: c.shows, run: async () => { await must('kubectl apply', c.file, c.args); } };
  };
  const writeEnv = (title: string, key: string, value: string): Step => ({
    title,
    shows: `set ${key}=${value} in ${envFileRel}`,
    async run() {
      fs.writeFileSync(envFile, setEnvValue(fs.readFileSync(envFile, 'utf8'), key, value));
    },
  });
  const rollout = (color: Color): Step => {
    const c = k('rollout', 'status', `deployment/${app}-${color}`, '-n', ns, `--timeout=${rolloutTimeout}`);
    return { title: `wait for ${app}-${color} to be rolled out`, shows: c.shows, run: async () => { await must(`rollout of ${app}-${color}`, c.file, c.args); } };
  };

  /** The Job labelled `role` in the synthesized output. */
  const findJob = (role: string): { name: string; manifest: string } => {
    const dir = path.join(project, distRel);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort() : [];
    const found: { name: string; manifest: string }[] = [];
    for (const file of files) {
      for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
        const obj = doc.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } } | null;
        if (obj?.kind === 'Job' && obj.metadata?.namespace === ns && obj.metadata.labels?.[JOB_ROLE_LABEL] === role && obj.metadata.name) {
          // The output renders the Jobs suspended, so that `apply -k` creates them without running them;
          // this run is created running.
          const spec = (obj as { spec?: Record<string, unknown> }).spec ?? {};
          found.push({ name: obj.metadata.name, manifest: JSON.stringify({ ...obj, spec: { ...spec, suspend: false } }) });
        }
      }
    }
    if (found.length !== 1) {
      throw new ReleaseError(`${distRel}/ has ${found.length} Jobs labelled ${JOB_ROLE_LABEL}=${role} in namespace ${ns}: expected exactly one (does the todo-api chart run in ${o.env}?)`);
    }
    return found[0];
  };
  /** Deletes any earlier run of the Job, creates it from the manifest and waits for complete or failed. */
  const runJob = async (role: string): Promise<string> => {
    const job = findJob(role);
    const del = k('delete', 'job', job.name, '-n', ns, '--ignore-not-found', '--wait=true');
    out(`  $ ${del.shows}`);
    await must(`deleting the earlier ${role} Job`, del.file, del.args);
    const create = k('create', '-f', '-');
    out(`  $ ${create.shows}   (job/${job.name} from ${distRel}/)`);
    await must(`creating the ${role} Job`, create.file, create.args, job.manifest);
    const waits = (['complete', 'failed'] as const).map((condition) => {
      const c = k('wait', `--for=condition=${condition}`, `job/${job.name}`, '-n', ns, `--timeout=${jobTimeout}`);
      out(`  $ ${c.shows}`);
      const child = spawn(c.file, c.args, { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { text += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { text += d; });
      const done = new Promise<{ condition: string; code: number | null; text: string }>((resolve) => {
        child.on('error', (err) => resolve({ condition, code: null, text: err.message }));
        child.on('close', (code) => resolve({ condition, code, text }));
      });
      return { child, done };
    });
    // The first wait that is met decides; the other is stopped.
    const first = await new Promise<{ condition: string; code: number | null; text: string }>((resolve) => {
      let ended = 0;
      for (const w of waits) {
        void w.done.then((r) => {
          ended++;
          if (r.code === 0 || ended === waits.length) resolve(r);
        });
      }
    });
    for (const w of waits) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.all(waits.map((w) => w.done));
    echo({ code: first.code, stdout: first.text, stderr: '' });
    if (first.code !== 0) throw new ReleaseError(`the ${role} Job job/${job.name} did not finish within ${jobTimeout}`);
    if (first.condition === 'failed') {
      throw new ReleaseError(`the ${role} Job job/${job.name} failed; its logs: ${[kubectl, 'logs', `job/${job.name}`, '-n', ns].join(' ')}`);
    }
    return job.name;
  };

  /** A rollout with 0 replicas "succeeds" too: a rollback must not flip to a colour without pods. */
  const readyPods = (color: Color): Step => {
    const c = k('get', `deployment/${app}-${color}`, '-n', ns, '-o', 'jsonpath={.status.readyReplicas}');
    return {
      title: `check that ${app}-${color} has ready pods`,
      shows: c.shows,
      async run() {
        const r = await must(`reading ${app}-${color}`, c.file, c.args);
        const ready = Number(r.stdout.trim() || '0');
        if (!(ready >= 1)) throw new ReleaseError(`${app}-${color} has no ready pods (is the idle colour scaled to 0?)`);
        out(`  ${ready} ready`);
      },
    };
  };

  const marker = `${app}-seeded`;
  const seed: Step = {
    title: 'seed the database if it has never been seeded',
    shows: `${kubectl} get configmap ${marker} -n ${ns} (absent: run the Job labelled ${JOB_ROLE_LABEL}=seed, then create configmap ${marker})`,
    async run() {
      const get = k('get', 'configmap', marker, '-n', ns, '--ignore-not-found', '-o', 'name');
      out(`  $ ${get.shows}`);
      const r = await must('checking the seed marker', get.file, get.args);
      if (r.stdout.trim() !== '') {
        out(`  configmap/${marker} exists: the database was seeded by an earlier release; no seed`);
        return;
      }
      out(`  configmap/${marker} is absent: first release, seeding`);
      const name = await runJob('seed');
      const create = k('create', 'configmap', marker, '-n', ns, `--from-literal=job=${name}`, `--from-literal=tag=${o.tag ?? ''}`);
      out(`  $ ${create.shows}`);
      await must('recording the seed', create.file, create.args);
    },
  };
  const smoke: Step = {
    title: `smoke-test ${app}-${idle} through the preview Service`,
    shows: `run the Job labelled ${JOB_ROLE_LABEL}=smoke and wait for it`,
    async run() { await runJob('smoke'); },
  };

  // ---- the plan -----------------------------------------------------------------------------------
  let before: Step[];
  let after: Step[];
  if (o.rollback) {
    if (tags[idle] === '') throw new ReleaseError(`${envFileRel}: ${TAG_KEYS[idle]} is empty: ${app}-${idle} never ran a release, there is nothing to roll back to`);
    out(`rollback of ${app} in ${o.env}: ${active} (${tags[active] || 'no tag'}) serves; back to ${idle} (${tags[idle]})`);
    before = [rollout(idle), readyPods(idle)];
    after = [writeEnv(`make ${idle} the active colour`, ACTIVE_KEY, idle), synth(), apply()];
  } else {
    out(`release ${app}:${o.tag} in ${o.env}: ${active} (${tags[active] || 'no tag'}) serves; ${idle} (${tags[idle] || 'no tag'}) is idle and gets ${o.tag}`);
    before = [writeEnv(`write the tag into the idle colour (${idle})`, TAG_KEYS[idle], o.tag!), synth(), apply(), rollout(idle), seed, smoke];
    after = [writeEnv(`make ${idle} the active colour`, ACTIVE_KEY, idle), synth(), apply()];
  }
  const steps = [...before, ...after];
  const total = steps.length;
  const header = (i: number, step: Step): void => {
    out(`[${i + 1}/${total}] ${step.title}`);
    out(`  $ ${step.shows}`);
  };

  if (o.dryRun) {
    out('dry run: nothing is changed; the plan:');
    steps.forEach((s, i) => header(i, s));
    out(`on a failure before step ${before.length + 1}: ${envFileRel} gets its old bytes back and ${distRel}/ is synthesized from it (${active} keeps serving)`);
    return;
  }

  const restore = async (reapply: boolean): Promise<string[]> => {
    const problems: string[] = [];
    out(`restoring ${envFileRel}`);
    fs.writeFileSync(envFile, original);
    for (const step of reapply ? [synth(), apply()] : [synth()]) {
      out(`  $ ${step.shows}`);
      try {
        await step.run();
      } catch (err) {
        problems.push(`${step.title}: ${(err as Error).message}`);
        break;
      }
    }
    return problems;
  };

  let i = 0;
  try {
    for (; i < before.length; i++) {
      header(i, before[i]);
      await before[i].run();
    }
  } catch (err) {
    const failed = before[i];
    out(`FAILED at [${i + 1}/${total}] ${failed.title}: ${(err as Error).message}`);
    const problems = await restore(false);
    const next = o.rollback
      ? `${active} keeps serving. ${app}-${idle} is not ready, so there is nothing healthy to roll back to: scale it up (${kubectl} scale deployment/${app}-${idle} -n ${ns} --replicas=1) and roll back again, or fix ${active} with a new release.`
      : `${active} (${tags[active] || 'no tag'}) keeps serving; ${app}-${idle} may run ${o.tag}, which takes no traffic. `
        + `Find the cause (${kubectl} describe deployment/${app}-${idle} -n ${ns}; ${kubectl} get jobs,pods -n ${ns}), `
        + `then run the release again with a fixed tag.`;
    throw new ReleaseError([
      `release stopped at ${failed.title}: ${(err as Error).message}`,
      problems.length ? `restoring ${distRel}/ failed too (${problems.join('; ')}): run \`${synthCommand}\` by hand` : `${envFileRel} and ${distRel}/ are as they were.`,
      next,
    ].join('\n'));
  }
  try {
    for (; i < steps.length; i++) {
      header(i, steps[i]);
      await steps[i].run();
    }
  } catch (err) {
    const failed = steps[i];
    out(`FAILED at [${i + 1}/${total}] ${failed.title}: ${(err as Error).message}`);
    const problems = await restore(true);
    throw new ReleaseError([
      `release stopped at ${failed.title}: ${(err as Error).message}`,
      problems.length
        ? `restoring failed too (${problems.join('; ')}): the public Service may select either colour; run \`${synthCommand}\` and \`${kubectl} apply -k ${distRel}\` by hand`
        : `${envFileRel} and ${distRel}/ are as they were and were applied again: ${active} serves.`,
    ].join('\n'));
  }
  out(o.rollback
    ? `rolled back: ${idle} (${tags[idle]}) serves ${app} in ${o.env}; ${active} (${tags[active] || 'no tag'}) is idle. Commit ${envFileRel} and ${distRel}/.`
    : `released: ${idle} (${o.tag}) serves ${app} in ${o.env}; ${active} (${tags[active] || 'no tag'}) is idle and is what --rollback returns to. Commit ${envFileRel} and ${distRel}/.`);
}

function listEnvs(dir: string): string {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.env')).map((f) => f.slice(0, -4)).sort() : [];
  return names.length ? names.join(', ') : `an env file in ${dir}`;
}
