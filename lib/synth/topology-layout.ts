/**
 * The layout of the topology picture: dagre's, remembered on disk. A layout is a pure function of
 * what dagre is given (graph options, nodes with their sizes and parents, edges, in order) and of
 * dagre's version, and costs ~100 ms for one environment's picture; an unchanged environment's
 * layout is read back instead, in well under a millisecond, and dagre is not even loaded.
 *
 * The cache is content-addressed: one file per layout, `<sha256 of the input and the engine's
 * versions>.json`, holding only what the SVG reads (node boxes, edge points, graph size). Where:
 * $MEGA8S_CACHE_DIR, or `node_modules/.cache/mega8s` (the conventional place of build tools'
 * caches) in the node_modules that holds dagre; MEGA8S_CACHE_DIR set to an empty value or `off`
 * turns it off. An entry is written to a temporary file and renamed into place, so a concurrent
 * synth reads a whole entry or none; an entry that does not parse or does not fit the input is
 * ignored and replaced; a folder that cannot be written only means computing every time. The
 * folder keeps the most recently used MAX_ENTRIES entries (a hit refreshes its entry's time).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type * as Dagre from '@dagrejs/dagre';

/** Bump when the graph dagre is given or what an entry holds changes meaning. */
export const LAYOUT_FORMAT = 1;
/** How many layouts the cache folder keeps (each is a few kB). */
export const MAX_ENTRIES = 64;

/** What dagre is given, in the order it is given: the whole input of a layout. */
export interface LayoutInput {
  /** dagre's graph options (rankdir, nodesep, …). */
  readonly graph: Readonly<Record<string, string | number>>;
  /** Nodes in order; `parent` makes a compound node (a box around its children). */
  readonly nodes: readonly { readonly id: string; readonly label: Readonly<Record<string, string | number>>; readonly parent?: string }[];
  /** Edges in order, from `v` to `w`. */
  readonly edges: readonly { readonly v: string; readonly w: string }[];
}

/** A node's box as dagre leaves it (a field it did not set is absent). */
export interface NodeBox {
  readonly x?: number;
  readonly y?: number;
  readonly width?: number;
  readonly height?: number;
}

/** What the SVG reads of a layout, aligned with its input: `nodes[i]` is `input.nodes[i]`'s box, `edges[i]` `input.edges[i]`'s points. */
export interface Layout {
  readonly width?: number;
  readonly height?: number;
  readonly nodes: readonly (NodeBox | null)[];
  readonly edges: readonly (readonly (readonly [number, number])[] | null)[];
}

/** The versions that decide a layout besides its input. */
export interface Engine {
  readonly dagre: string;
  readonly graphlib: string;
}

const BOX_FIELDS = ['x', 'y', 'width', 'height'] as const;

/** Lays the graph out with dagre (loaded here, on first need). */
export function computeLayout(input: LayoutInput): Layout {
  const dagre: typeof Dagre = require('@dagrejs/dagre');
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  g.setGraph({ ...input.graph });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of input.nodes) {
    g.setNode(n.id, { ...n.label });
    if (n.parent !== undefined) g.setParent(n.id, n.parent);
  }
  for (const e of input.edges) g.setEdge(e.v, e.w);
  dagre.layout(g);
  const graph = g.graph();
  const nodes = input.nodes.map((n): NodeBox | null => {
    const label = g.node(n.id);
    if (!label) return null;
    const box: Record<string, number> = {};
    for (const f of BOX_FIELDS) if (label[f] !== undefined) box[f] = label[f];
    return box;
  });
  const edges = input.edges.map((e) => g.edge(e.v, e.w)?.points?.map((p: { x: number; y: number }): [number, number] => [p.x, p.y]) ?? null);
  return { ...(graph.width !== undefined && { width: graph.width }), ...(graph.height !== undefined && { height: graph.height }), nodes, edges };
}

let installed: { engine?: Engine & { readonly dir: string } } | undefined;

/** dagre's and graphlib's versions as installed (and dagre's folder), without loading either; undefined when dagre is not installed. */
export function engine(): (Engine & { readonly dir: string }) | undefined {
  installed ??= { engine: findEngine() };
  return installed.engine;
}

function findEngine(): (Engine & { readonly dir: string }) | undefined {
  try {
    const file = require.resolve('@dagrejs/dagre/package.json');
    const dagre = JSON.parse(fs.readFileSync(file, 'utf8')).version;
    const graphlibFile = require.resolve('@dagrejs/graphlib/package.json', { paths: [path.dirname(file)] });
    const graphlib = JSON.parse(fs.readFileSync(graphlibFile, 'utf8')).version;
    return { dagre: String(dagre), graphlib: String(graphlib), dir: path.dirname(file) };
  } catch {
    return undefined;
  }
}

/** The cache key of a layout: sha256 of the format, the engine's versions and the input, serialized in one fixed order. */
export function layoutKey(input: LayoutInput, versions: Engine): string {
  // The input is built in a fixed order (and its order matters to dagre), so JSON.stringify of it
  // is canonical: one input, one text.
  const text = JSON.stringify({ format: LAYOUT_FORMAT, dagre: versions.dagre, graphlib: versions.graphlib, input });
  return crypto.createHash('sha256').update(text).digest('hex');
}

/**
 * The cache folder: $MEGA8S_CACHE_DIR (empty or `off`: none), else node_modules/.cache/mega8s in
 * the node_modules that holds dagre (`dagreDir`: dagre's package folder, null when it is not
 * installed). Null: no cache.
 */
export function layoutCacheDir(env: NodeJS.ProcessEnv = process.env, dagreDir: string | null = engine()?.dir ?? null): string | null {
  const configured = env.MEGA8S_CACHE_DIR;
  if (configured !== undefined) return configured === '' || configured === 'off' ? null : path.resolve(configured);
  if (!dagreDir) return null;
  // <node_modules>/@dagrejs/dagre -> <node_modules>/.cache/mega8s
  return path.join(dagreDir, '..', '..', '.cache', 'mega8s');
}

/** A number JSON gives back as it was: finite, and not -0 (which comes back as 0). */
const exact = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0);

/**
 * Whether `layout` is a whole layout of `input`: one box or null per node, one point list or null
 * per edge, every number one that JSON keeps exactly (a layout with NaN, Infinity or -0 is never
 * stored: it would not come back the same).
 */
export function fitsInput(layout: any, input: LayoutInput): layout is Layout {
  if (!layout || typeof layout !== 'object') return false;
  if ((layout.width !== undefined && !exact(layout.width)) || (layout.height !== undefined && !exact(layout.height))) return false;
  const { nodes, edges } = layout;
  if (!Array.isArray(nodes) || nodes.length !== input.nodes.length || !Array.isArray(edges) || edges.length !== input.edges.length) return false;
  const boxOk = (b: any) => b === null || (typeof b === 'object' && !Array.isArray(b)
    && Object.keys(b).every((k) => (BOX_FIELDS as readonly string[]).includes(k) && exact(b[k])));
  const pointsOk = (ps: any) => ps === null || (Array.isArray(ps) && ps.every((p) => Array.isArray(p) && p.length === 2 && exact(p[0]) && exact(p[1])));
  return nodes.every(boxOk) && edges.every(pointsOk);
}

/** The layout of `input`: from the cache folder when it holds it, else computed (and stored when it can be). */
export function cachedLayout(input: LayoutInput, dir: string | null = layoutCacheDir(), maxEntries = MAX_ENTRIES): Layout {
  const versions = dir === null ? undefined : engine();
  if (dir === null || !versions) return computeLayout(input);
  const key = layoutKey(input, versions);
  const file = path.join(dir, `${key}.json`);
  const hit = readEntry(file, key, input);
  if (hit) {
    try {
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch { /* only the eviction order */ }
    return hit;
  }
  const layout = computeLayout(input);
  if (fitsInput(layout, input)) writeEntry(dir, file, { format: LAYOUT_FORMAT, key, layout }, maxEntries);
  return layout;
}

function readEntry(file: string, key: string, input: LayoutInput): Layout | undefined {
  try {
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (entry?.format === LAYOUT_FORMAT && entry.key === key && fitsInput(entry.layout, input)) return entry.layout;
  } catch { /* absent, unreadable or not JSON: computed again */ }
  return undefined;
}

function writeEntry(dir: string, file: string, entry: object, maxEntries: number): void {
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(entry));
    fs.renameSync(tmp, file);
  } catch {
    try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
    return;
  }
  prune(dir, maxEntries);
}

/** Keeps the `maxEntries` most recently used entries (and temporary files younger than a minute). */
function prune(dir: string, maxEntries: number): void {
  try {
    const now = Date.now();
    const entries: { file: string; used: number }[] = [];
    for (const name of fs.readdirSync(dir)) {
      const file = path.join(dir, name);
      try {
        const used = fs.statSync(file).mtimeMs;
        if (name.endsWith('.tmp')) {
          // Another synth's entry being written, or a crashed one's leftover.
          if (now - used > 60_000) fs.rmSync(file, { force: true });
        } else if (name.endsWith('.json')) {
          entries.push({ file, used });
        }
      } catch { /* gone meanwhile */ }
    }
    entries.sort((a, b) => b.used - a.used);
    for (const { file } of entries.slice(maxEntries)) fs.rmSync(file, { force: true });
  } catch { /* the cache only grows until the next write */ }
}
