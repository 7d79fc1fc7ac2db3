/**
 * Environments: `envs/<name>.env` (dotenv syntax) parsed and validated into a typed, frozen
 * `Environment`. Adding a file adds an environment.
 *
 * The loader knows no chart by name. The project-wide keys (images, quotas) are declared here; every
 * chart declares its own keys next to its code (`defineSettings` in lib/charts/<chart>.ts) and hands
 * them to the loader through its `ChartDefinition.settings`. A chart reads its values back, typed,
 * with `<ITS_SETTINGS>.of(env)`.
 *
 * Each key's type is a zod schema from string (the env file's text) to the value. zod, not valibot
 * or envalid: it is the most widely used of the three, typed end to end (`z.infer` gives each
 * chart's settings type from its declaration, with no hand-written table), has no dependencies and
 * no install script, and reports every issue of a value rather than the first; envalid reads
 * `process.env`, which the charts must never do.
 *
 * Every bad input is one problem naming file, line, key, the value (truncated) and what was
 * expected; all problems of all files are reported together, in line order. Secrets never live
 * here: constructs reference Secrets by name and the README says how to create them.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as dotenv from 'dotenv';
import { z } from 'zod';

// --- key types --------------------------------------------------------------------------------

/** A key's type: a zod schema from the env file's text to the value, and how a good value looks. */
export interface SettingType<T> {
  readonly schema: z.ZodType<T, string>;
  /** What a good value looks like, completing "expected …" in messages. */
  readonly expected: string;
  /** Short name of the type for the README's key table (`integer 0–10000`). */
  readonly label: string;
}

/** An integer in `min`-`max`. */
export function int(min: number, max: number): SettingType<number> {
  return {
    schema: z.string()
      .regex(/^-?\d+$/, { message: 'is not an integer' })
      .transform(Number)
      .pipe(z.number().int({ message: 'is out of range' }).min(min, { message: 'is out of range' }).max(max, { message: 'is out of range' })),
    expected: `an integer in range ${min}-${max}`,
    label: `integer ${min}–${max}`,
  };
}

/** One of `values`, exactly as written. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T): SettingType<T[number]> {
  return {
    schema: z.enum(values as unknown as [T[number], ...T[number][]], { message: 'is invalid' }) as unknown as z.ZodType<T[number], string>,
    expected: `one of ${values.join(', ')}`,
    label: values.map((v) => `\`${v}\``).join(', '),
  };
}

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// registry host[:port] followed by lowercase path components (the distribution reference grammar).
const IMAGE_REGISTRY = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A DNS-1123 subdomain. */
export function dnsSubdomain(): SettingType<string> {
  return {
    schema: z.string().regex(DNS_SUBDOMAIN, { message: 'is invalid' }),
    expected: 'a DNS-1123 subdomain (lowercase letters, digits, \'-\' and \'.\')',
    label: 'DNS-1123 subdomain',
  };
}

/** An image registry and path, without a tag. */
export function imageRegistry(): SettingType<string> {
  return {
    schema: z.string().regex(IMAGE_REGISTRY, { message: 'is invalid' }),
    expected: 'an image registry such as gcr.io/my-project (no tag, no trailing \'/\')',
    label: 'image registry',
  };
}

/**
 * A pinned image tag: a release or commit (it holds a digit: `1.4.2`, `v2`, `3f2a9c1`). Moving tags
 * (`latest`, `stable`, `main`) are refused: the same output must mean the same images.
 */
export function pinnedImageTag(): SettingType<string> {
  return {
    schema: z.string()
      .regex(IMAGE_TAG, { message: 'is invalid' })
      .refine((v) => /[0-9]/.test(v), { message: 'is not pinned' }),
    expected: 'a pinned image tag such as 1.4.2 or a commit id (letters, digits, \'_\', \'.\', \'-\', with at least one digit; moving tags such as latest are refused)',
    label: 'pinned image tag',
  };
}

// --- declarations -----------------------------------------------------------------------------

/** One key of an env file. */
export interface Setting<T> {
  readonly key: string;
  readonly type: SettingType<unknown>;
  /** As written in an env file; absent: the key is required (unless `optional`). */
  readonly default?: string;
  /** The key may be left out, and then has no value. */
  readonly optional?: boolean;
  readonly doc: string;
  /** Carries the value type; never set. */
  readonly __value?: T;
}

/** A key with a default (`default`, as written in an env file) or, without one, a required key. */
export function setting<T>(key: string, type: SettingType<T>, options: { readonly doc: string; readonly default?: string }): Setting<T> {
  return { key, type: type as SettingType<unknown>, doc: options.doc, ...(options.default !== undefined ? { default: options.default } : {}) };
}

/** A key that may be left out; its value is then `undefined`. */
export function optionalSetting<T>(key: string, type: SettingType<T>, options: { readonly doc: string }): Setting<T | undefined> {
  return { key, type: type as SettingType<unknown>, doc: options.doc, optional: true };
}

const KEY_NAME = /^[A-Z][A-Z0-9_]*$/;

/** The keys one owner (a chart, or the project) declares, read back typed with `of(env)`. */
export class Settings<T extends object> {
  constructor(
    /** The chart's name, or `project`. */
    public readonly owner: string,
    public readonly declarations: { readonly [P in keyof T]: Setting<T[P]> },
  ) {
    for (const [prop, s] of Object.entries(declarations) as [string, Setting<unknown>][]) {
      if (!KEY_NAME.test(s.key)) throw new Error(`settings of ${owner}: key ${JSON.stringify(s.key)} of ${prop} is invalid: expected upper-case letters, digits and '_'`);
      if (s.default !== undefined && !s.type.schema.safeParse(s.default).success) {
        throw new Error(`settings of ${owner}: default ${JSON.stringify(s.default)} of ${s.key} is invalid: expected ${s.type.expected}`);
      }
    }
  }

  /** Every declared key, in declaration order. */
  get keys(): readonly Setting<unknown>[] {
    return Object.values(this.declarations) as Setting<unknown>[];
  }

  /** This owner's values in `env`. */
  of(env: Environment): Readonly<T> {
    const values = env.settings[this.owner];
    if (!values) {
      throw new Error(`environment ${env.name} was loaded without the settings of ${this.owner}: pass them to loadEnvironment`);
    }
    return values as Readonly<T>;
  }
}

type ValuesOf<D> = { readonly [P in keyof D]: D[P] extends Setting<infer V> ? V : never };

/** Declares the keys of `owner` (a chart's name): `{ property: setting(KEY, type, { doc }) }`. */
export function defineSettings<D extends Record<string, Setting<any>>>(owner: string, declarations: D): Settings<ValuesOf<D>> {
  return new Settings<ValuesOf<D>>(owner, declarations as any);
}

// --- the project-wide keys --------------------------------------------------------------------

const INT_MAX = 1_000_000;

/** Keys of the whole project rather than of one chart: the images and the cloud quotas. */
export const PROJECT_SETTINGS = defineSettings('project', {
  imageRegistry: setting('IMAGE_REGISTRY', imageRegistry(), { doc: 'Registry (and path) of the project\'s own images, e.g. `gcr.io/my-project`.' }),
  imageTag: setting('IMAGE_TAG', pinnedImageTag(), { doc: 'Tag of the project\'s own images, e.g. `1.4.2`. Pinned: `latest` and other moving tags are refused.' }),
  forwardingRules: setting('QUOTA_FORWARDING_RULES', int(0, INT_MAX), { doc: 'GCE forwarding rules quota (one per LoadBalancer Service).' }),
  targetPools: setting('QUOTA_TARGET_POOLS', int(0, INT_MAX), { doc: 'GCE target pools quota (one per LoadBalancer Service).' }),
  firewalls: setting('QUOTA_FIREWALLS', int(0, INT_MAX), { doc: 'GCE firewall rules quota (one per LoadBalancer Service).' }),
  cpus: setting('QUOTA_CPUS', int(0, INT_MAX), { doc: 'vCPU quota, compared with the CPU requests of all replicas.' }),
  diskGb: setting('QUOTA_DISK_GB', int(0, INT_MAX), { doc: 'Persistent disk quota in GB, compared with all volume claims.' }),
});

export interface Quotas {
  /** GCE forwarding rules (one per LoadBalancer Service). */
  readonly forwardingRules: number;
  /** GCE target pools (one per LoadBalancer Service). */
  readonly targetPools: number;
  /** GCE firewall rules (one per LoadBalancer Service). */
  readonly firewalls: number;
  /** vCPUs (the sum of CPU requests over all replicas). */
  readonly cpus: number;
  /** Persistent disk in GB (the sum of volume claims over all replicas). */
  readonly diskGb: number;
}

export interface Environment {
  /** The environment's name: the env file's base name (`prod` for `envs/prod.env`). */
  readonly name: string;
  /** The env file, relative to the project (`envs/prod.env`). */
  readonly file: string;
  /** Container image registry and tag shared by the project's own images. */
  readonly images: { readonly registry: string; readonly tag: string };
  /** The project-wide quota preflight's limits. */
  readonly quotas: Quotas;
  /** Every owner's values, by owner and property. Charts read theirs with `<SETTINGS>.of(env)`. */
  readonly settings: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * The settings of every chart the project ships (from lib/charts/index.ts, loaded lazily: the
 * charts import this module). Used when a caller passes none.
 */
export function projectChartSettings(): readonly Settings<object>[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CHARTS } = require('./charts') as { CHARTS: readonly { settings?: Settings<object> }[] };
  return CHARTS.flatMap((c) => (c.settings ? [c.settings] : []));
}

// --- problems ---------------------------------------------------------------------------------

/** One bad value (or line) of an env file. */
export interface EnvProblem {
  readonly file: string;
  /** 1-based; 0 when the problem is the file's (a missing key, an unreadable file). */
  readonly line: number;
  readonly key?: string;
  readonly message: string;
}

/** At most this many problems of one file are listed; the rest are counted. */
export const MAX_PROBLEMS_PER_FILE = 50;

function formatProblem(p: EnvProblem): string {
  return p.line ? `${p.file}:${p.line}: ${p.message}` : `${p.file}: ${p.message}`;
}

/** All problems of one or more env files, reported together. */
export class EnvError extends Error {
  constructor(public readonly problems: readonly EnvProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'EnvError';
  }
}

/** A value as messages show it: quoted, at most 60 characters. */
export function showValue(value: string): string {
  const MAX = 60;
  if (value.length <= MAX) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, MAX))}… (${value.length} characters)`;
}

const ENV_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** PROJECT_SETTINGS first, then each given owner once; a key declared twice is a programming error. */
function ownersOf(settings: readonly Settings<object>[]): Settings<object>[] {
  const owners: Settings<object>[] = [PROJECT_SETTINGS as Settings<object>];
  for (const s of settings) if (!owners.includes(s)) owners.push(s);
  const byKey = new Map<string, string>();
  const names = new Set<string>();
  for (const o of owners) {
    if (names.has(o.owner)) throw new Error(`settings of ${o.owner} are declared twice`);
    names.add(o.owner);
    for (const k of o.keys) {
      const other = byKey.get(k.key);
      if (other) throw new Error(`setting ${k.key} is declared by both ${other} and ${o.owner}`);
      byKey.set(k.key, o.owner);
    }
  }
  return owners;
}

/**
 * Parses and validates the text of one env file. `file` is how messages name it; `settings` are
 * the charts' declarations (default: every chart of the project). Throws `EnvError` listing every
 * problem of the file in line order.
 */
export function parseEnvironment(name: string, file: string, text: string, settings: readonly Settings<object>[] = projectChartSettings()): Environment {
  const owners = ownersOf(settings);
  const problems: EnvProblem[] = [];
  const problem = (line: number, message: string, key?: string) => { problems.push({ file, line, key, message }); };
  if (!ENV_NAME.test(name) || name.length > 63) {
    problem(0, `environment name ${showValue(name)} (from the file name) is not a valid DNS-1123 label: expected lowercase letters, digits and '-', at most 63`);
  }
  // One line ending for dotenv and the scan: CRLF, CR-only and LF files read alike; a BOM is not text.
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  // dotenv gives the values; the scan below gives each key's line and catches what dotenv would
  // silently skip (lines that are not assignments, keys given twice).
  const values = dotenv.parse(normalized);
  const lineOf = new Map<string, number>();
  const lines = normalized.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = ASSIGNMENT.exec(raw);
    if (!m) {
      problem(i + 1, `${showValue(line)} is not a KEY=value line`);
      continue;
    }
    const key = m[1];
    if (lineOf.has(key)) problem(i + 1, `${key} is set twice (first on line ${lineOf.get(key)})`, key);
    else lineOf.set(key, i + 1);
  }
  const declared = owners.flatMap((o) => o.keys);
  const known = new Set(declared.map((k) => k.key));
  for (const [key, line] of lineOf) {
    if (!known.has(key)) problem(line, `unknown key ${key}: expected one of ${declared.map((k) => k.key).join(', ')}`, key);
  }
  const settingsOut: Record<string, Record<string, unknown>> = {};
  for (const owner of owners) {
    const got: Record<string, unknown> = {};
    for (const [prop, decl] of Object.entries(owner.declarations) as [string, Setting<unknown>][]) {
      const line = lineOf.get(decl.key);
      const raw = line !== undefined ? values[decl.key] : undefined;
      if (raw === undefined || raw === '') {
        if (decl.default !== undefined) got[prop] = decl.type.schema.parse(decl.default);
        else if (decl.optional) got[prop] = undefined;
        else problem(line ?? 0, `${decl.key} is missing: expected ${decl.type.expected}`, decl.key);
        continue;
      }
      const parsed = decl.type.schema.safeParse(raw);
      if (parsed.success) {
        got[prop] = parsed.data;
      } else {
        const why = parsed.error.issues[0]?.message ?? 'is invalid';
        problem(line!, `${decl.key}=${showValue(raw)} ${why}: expected ${decl.type.expected}`, decl.key);
      }
    }
    for (const k of Object.keys(got)) if (got[k] === undefined) delete got[k];
    settingsOut[owner.owner] = got;
  }
  if (problems.length) throw new EnvError(capped(inLineOrder(problems)));
  const project = settingsOut.project as unknown as ValuesOf<typeof PROJECT_SETTINGS.declarations>;
  return deepFreeze<Environment>({
    name,
    file,
    images: { registry: project.imageRegistry, tag: project.imageTag },
    quotas: {
      forwardingRules: project.forwardingRules,
      targetPools: project.targetPools,
      firewalls: project.firewalls,
      cpus: project.cpus,
      diskGb: project.diskGb,
    },
    settings: settingsOut,
  });
}

/** The file's own problems (line 0) first, then by line; stable otherwise. */
function inLineOrder(problems: readonly EnvProblem[]): EnvProblem[] {
  return problems.map((p, i) => ({ p, i })).sort((a, b) => a.p.line - b.p.line || a.i - b.i).map((x) => x.p);
}

function capped(problems: EnvProblem[]): EnvProblem[] {
  if (problems.length <= MAX_PROBLEMS_PER_FILE) return problems;
  const shown = problems.slice(0, MAX_PROBLEMS_PER_FILE);
  const rest = problems.length - MAX_PROBLEMS_PER_FILE;
  shown.push({ file: problems[0].file, line: 0, message: `… and ${rest} more problem(s) in this file` });
  return shown;
}

// --- reading files ----------------------------------------------------------------------------

/** Env files larger than this are refused (real ones are a few hundred bytes). */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

const WHY: Record<string, string> = {
  ENOENT: 'no such file (or a dangling symbolic link)',
  ELOOP: 'a symbolic link loop',
  EACCES: 'permission denied',
  EISDIR: 'is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  EIO: 'input/output error',
};

function ioProblem(file: string, e: any): EnvError {
  const code = e?.code as string | undefined;
  const why = code && WHY[code] ? `${WHY[code]} (${code})` : String(e?.message ?? e);
  return new EnvError([{ file, line: 0, message: `cannot be read: ${why}: expected a readable file of KEY=value lines` }]);
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Reads an env file without ever blocking (a FIFO is opened non-blocking and refused), refusing
 * anything but a regular file of at most MAX_ENV_FILE_BYTES of UTF-8.
 */
function readEnvFile(abs: string, shown: string): string {
  let fd: number;
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw ioProblem(shown, e);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new EnvError([{ file: shown, line: 0, message: `is ${kindOf(st)}: expected a regular file of KEY=value lines` }]);
    if (st.size > MAX_ENV_FILE_BYTES) {
      throw new EnvError([{ file: shown, line: 0, message: `is ${st.size} bytes: expected at most ${MAX_ENV_FILE_BYTES} bytes of KEY=value lines` }]);
    }
    const buf = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = fs.readSync(fd, buf, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, read));
    } catch {
      throw new EnvError([{ file: shown, line: 0, message: 'is not UTF-8 text: expected KEY=value lines in UTF-8' }]);
    }
  } catch (e) {
    if (e instanceof EnvError) throw e;
    throw ioProblem(shown, e);
  } finally {
    fs.closeSync(fd);
  }
}

function relative(root: string, abs: string, fallback: string): string {
  const rel = path.relative(root, abs) || fallback;
  return rel.split(path.sep).join('/');
}

/** Reads one env file. `root` is the project folder messages are relative to. */
export function loadEnvironment(file: string, root: string = process.cwd(), settings?: readonly Settings<object>[]): Environment {
  const abs = path.resolve(root, file);
  const shown = relative(root, abs, file);
  return parseEnvironment(path.basename(file, '.env'), shown, readEnvFile(abs, shown), settings);
}

/**
 * Every environment in `envsDir` (every `*.env` entry but dotfiles), sorted by name. Problems of
 * all files are reported together, file by file.
 */
export function loadEnvironments(envsDir: string, root: string = process.cwd(), settings?: readonly Settings<object>[]): Environment[] {
  const dir = path.resolve(root, envsDir);
  const shown = relative(root, dir, envsDir);
  const folderProblem = (message: string) => new EnvError([{ file: shown, line: 0, message }]);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e: any) {
    const code = e?.code as string | undefined;
    throw folderProblem(`env folder cannot be read: ${code && WHY[code] ? `${WHY[code]} (${code})` : e?.message ?? e}: expected a folder of <env>.env files`);
  }
  if (!st.isDirectory()) throw folderProblem('is not a folder: expected a folder of <env>.env files (use --env <name> to pick environments)');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw ioProblem(shown, e);
  }
  const files = names.filter((f) => f.endsWith('.env') && !f.startsWith('.')).sort();
  if (files.length === 0) throw folderProblem('no *.env files: expected at least one environment');
  const chartSettings = settings ?? projectChartSettings();
  const envs: Environment[] = [];
  const problems: EnvProblem[] = [];
  for (const f of files) {
    try {
      envs.push(loadEnvironment(path.join(dir, f), root, chartSettings));
    } catch (e) {
      if (!(e instanceof EnvError)) throw e;
      for (const p of e.problems) problems.push(p);
    }
  }
  if (problems.length) throw new EnvError(problems);
  return envs;
}

/** The environment names of `envsDir` (the `*.env` files' base names), sorted. */
export function environmentNames(envsDir: string, root: string = process.cwd()): string[] {
  return fs.readdirSync(path.resolve(root, envsDir)).filter((f) => f.endsWith('.env') && !f.startsWith('.')).sort().map((f) => f.slice(0, -'.env'.length));
}

/**
 * The README's key table: every key of `owners` (the project's, then each chart's), with its owner,
 * type, default and doc. `npm run readme:env` writes it into README.md; a test keeps them in sync.
 */
export function settingsTable(settings: readonly Settings<object>[] = projectChartSettings()): string {
  const rows = ['| key | owner | type | default | meaning |', '| --- | --- | --- | --- | --- |'];
  for (const owner of ownersOf(settings)) {
    for (const k of owner.keys) {
      const def = k.default !== undefined ? `\`${k.default}\`` : k.optional ? '(unset)' : 'required';
      rows.push(`| \`${k.key}\` | ${owner.owner} | ${k.type.label} | ${def} | ${k.doc.replace(/\|/g, '\\|')} |`);
    }
  }
  return rows.join('\n') + '\n';
}

export const TABLE_BEGIN = '<!-- env-keys: generated from the settings declarations by `npm run readme:env`; do not edit -->';
export const TABLE_END = '<!-- env-keys: end -->';

/** `readme` with its generated key table replaced by `table`; throws when the markers are missing. */
export function withSettingsTable(readme: string, table: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no key table markers (${TABLE_BEGIN} … ${TABLE_END})`);
  return readme.slice(0, begin + TABLE_BEGIN.length) + '\n' + table + readme.slice(end);
}
