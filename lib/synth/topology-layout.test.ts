/**
 * The topology picture's layout cache (topology-layout.ts): a remembered layout gives the very
 * bytes a fresh dagre layout gives, a warm cache never calls dagre, a broken entry or an unwritable
 * folder only costs a fresh layout, the key follows every part of the input, the folder stays small.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CHARTS } from '../charts';
import { loadEnvironment } from '../env';
import { buildEnvironment } from './build';
import { renderEnvironment } from './render';
import { topologyLayoutInput, topologyOf, topologySvg } from './topology';
import { LAYOUT_FORMAT, LayoutInput, MAX_ENTRIES, cachedLayout, computeLayout, engine, fitsInput, layoutCacheDir, layoutKey } from './topology-layout';

// dagre as installed, with its layout function counted.
jest.mock('@dagrejs/dagre', () => {
  const actual = jest.requireActual('@dagrejs/dagre');
  return { ...actual, layout: jest.fn(actual.layout) };
});
const layouts: jest.Mock = require('@dagrejs/dagre').layout;

const ROOT = path.join(__dirname, '..', '..');
let scratch: string;
let n = 0;
/** A fresh, empty folder. */
const freshDir = () => fs.mkdtempSync(path.join(scratch, `cache-${++n}-`));
const entries = (dir: string) => fs.readdirSync(dir).sort();
const savedCacheDir = process.env.MEGA8S_CACHE_DIR;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-layout-'));
});
afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
  if (savedCacheDir === undefined) delete process.env.MEGA8S_CACHE_DIR;
  else process.env.MEGA8S_CACHE_DIR = savedCacheDir;
});
beforeEach(() => layouts.mockClear());

describe.each(['dev', 'staging', 'prod'])('%s: the committed topology.svg from a cold, a warm and no cache', (name) => {
  const committed = () => fs.readFileSync(path.join(ROOT, 'dist', name, 'topology.svg'), 'utf8');
  const env = loadEnvironment(path.join('envs', `${name}.env`), ROOT);
  const charts = buildEnvironment(env, CHARTS);
  const svg = () => renderEnvironment(env, charts).get('topology.svg');

  test('the same bytes every way; only the cold run and the uncached one lay out', () => {
    const dir = freshDir();
    process.env.MEGA8S_CACHE_DIR = dir;
    expect(svg()).toBe(committed());
    expect(layouts).toHaveBeenCalledTimes(1);
    expect(entries(dir)).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.json$/)]);
    expect(svg()).toBe(committed());
    expect(layouts).toHaveBeenCalledTimes(1);
    process.env.MEGA8S_CACHE_DIR = 'off';
    expect(svg()).toBe(committed());
    expect(layouts).toHaveBeenCalledTimes(2);
  });
});

describe('entries', () => {
  const objects = buildEnvironment(loadEnvironment(path.join('envs', 'dev.env'), ROOT), CHARTS).flatMap((c) => c.objects);
  const plain = topologySvg(objects, 'dev', null);
  const input = topologyLayoutInput(topologyOf(objects));
  const versions = engine()!;
  const key = layoutKey(input, versions);

  test('a hit is what the entry says (the entry is read, dagre is not)', () => {
    const dir = freshDir();
    topologySvg(objects, 'dev', dir);
    const file = path.join(dir, `${key}.json`);
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(entry).toMatchObject({ format: LAYOUT_FORMAT, key });
    fs.writeFileSync(file, JSON.stringify({ ...entry, layout: { ...entry.layout, width: 4321 } }));
    layouts.mockClear();
    expect(topologySvg(objects, 'dev', dir)).toContain('<svg xmlns="http://www.w3.org/2000/svg" width="4321"');
    expect(layouts).not.toHaveBeenCalled();
  });

  const goodText = JSON.stringify({ format: LAYOUT_FORMAT, key, layout: computeLayout(input) });
  const good = () => JSON.parse(goodText);
  const broken: [string, () => string][] = [
    ['empty', () => ''],
    ['torn', () => JSON.stringify(good()).slice(0, 100)],
    ['not an object', () => 'null'],
    ['another format', () => JSON.stringify({ ...good(), format: LAYOUT_FORMAT + 1 })],
    ['another key', () => JSON.stringify({ ...good(), key: '0'.repeat(64) })],
    ['a node short', () => { const e = good(); e.layout.nodes.pop(); return JSON.stringify(e); }],
    ['an edge short', () => { const e = good(); e.layout.edges.pop(); return JSON.stringify(e); }],
    ['a number that is not one', () => { const e = good(); e.layout.nodes[3].x = '12'; return JSON.stringify(e); }],
    ['a NaN that JSON made null', () => { const e = good(); e.layout.edges[0][0][1] = null; return JSON.stringify(e); }],
  ];
  test.each(broken)('a broken entry (%s) is ignored and replaced', (_, text) => {
    const dir = freshDir();
    const file = path.join(dir, `${key}.json`);
    fs.writeFileSync(file, text());
    expect(topologySvg(objects, 'dev', dir)).toBe(plain);
    expect(layouts).toHaveBeenCalledTimes(1);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(good());
    expect(topologySvg(objects, 'dev', dir)).toBe(plain);
    expect(layouts).toHaveBeenCalledTimes(1);
    expect(entries(dir)).toEqual([`${key}.json`]);
  });

  test('a folder that cannot be made or written still gives the picture', () => {
    const file = path.join(freshDir(), 'a-file');
    fs.writeFileSync(file, 'not a folder');
    expect(topologySvg(objects, 'dev', path.join(file, 'cache'))).toBe(plain);
    expect(topologySvg(objects, 'dev', file)).toBe(plain);
    expect(layouts).toHaveBeenCalledTimes(2);
    expect(fs.readFileSync(file, 'utf8')).toBe('not a folder');
  });

  test('a layout that does not fit its input is never stored', () => {
    const layout = computeLayout(input);
    expect(fitsInput(layout, input)).toBe(true);
    expect(fitsInput({ ...layout, width: Infinity }, input)).toBe(false);
    expect(fitsInput({ ...layout, nodes: [{ x: NaN }, ...layout.nodes.slice(1)] }, input)).toBe(false);
    expect(fitsInput({ ...layout, nodes: [{ x: -0 }, ...layout.nodes.slice(1)] }, input)).toBe(false);
    expect(fitsInput({ ...layout, nodes: [{ x: 0 }, ...layout.nodes.slice(1)] }, input)).toBe(true);
    expect(fitsInput({ ...layout, nodes: [{ x: 1, z: 2 }, ...layout.nodes.slice(1)] }, input)).toBe(false);
    expect(fitsInput({ ...layout, edges: [[[1, 2, 3]], ...layout.edges.slice(1)] }, input)).toBe(false);
  });
});

describe('the key', () => {
  const input: LayoutInput = {
    graph: { rankdir: 'LR', nodesep: 16 },
    nodes: [{ id: 'ns-a', label: { label: 'a' } }, { id: 'x', label: { width: 120, height: 40 }, parent: 'ns-a' }, { id: 'y', label: { width: 130, height: 40 } }],
    edges: [{ v: 'x', w: 'y' }, { v: 'y', w: 'x' }],
  };
  const versions = { dagre: '3.1.3', graphlib: '4.0.6' };
  const key = layoutKey(input, versions);

  test('the same input built again gives the same key', () => {
    expect(layoutKey(JSON.parse(JSON.stringify(input)), { ...versions })).toBe(key);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each<[string, LayoutInput, typeof versions?]>([
    ['a node size', { ...input, nodes: [input.nodes[0], { ...input.nodes[1], label: { width: 121, height: 40 } }, input.nodes[2]] }],
    ['a parent', { ...input, nodes: [input.nodes[0], { id: 'x', label: input.nodes[1].label }, input.nodes[2]] }],
    ['the order of nodes', { ...input, nodes: [input.nodes[0], input.nodes[2], input.nodes[1]] }],
    ['an added node', { ...input, nodes: [...input.nodes, { id: 'z', label: {} }] }],
    ['an added edge', { ...input, edges: [...input.edges, { v: 'x', w: 'ns-a' }] }],
    ['the order of edges', { ...input, edges: [...input.edges].reverse() }],
    ['a graph option', { ...input, graph: { ...input.graph, nodesep: 17 } }],
    ['dagre\'s version', input, { ...versions, dagre: '3.1.4' }],
    ['graphlib\'s version', input, { ...versions, graphlib: '4.0.7' }],
  ])('changes with %s', (_, changed, changedVersions = versions) => {
    expect(layoutKey(changed, changedVersions)).not.toBe(key);
  });
});

describe('the folder', () => {
  const tiny = (i: number): LayoutInput => ({ graph: { rankdir: 'LR' }, nodes: [{ id: `n${i}`, label: { width: 10 + i, height: 10 } }], edges: [] });
  const versions = engine()!;
  const file = (dir: string, i: number) => path.join(dir, `${layoutKey(tiny(i), versions)}.json`);
  const ageBy = (f: string, seconds: number) => {
    const t = new Date(Date.now() - seconds * 1000);
    fs.utimesSync(f, t, t);
  };

  test('keeps the most recently used entries; a hit counts as a use', () => {
    const dir = freshDir();
    for (let i = 0; i < 3; i++) {
      cachedLayout(tiny(i), dir, 3);
      ageBy(file(dir, i), 100 - i);
    }
    cachedLayout(tiny(0), dir, 3); // a hit: n0 is now the most recent
    expect(layouts).toHaveBeenCalledTimes(3);
    cachedLayout(tiny(3), dir, 3);
    expect(entries(dir)).toEqual([file(dir, 0), file(dir, 2), file(dir, 3)].map((f) => path.basename(f)).sort());
    expect(MAX_ENTRIES).toBeGreaterThanOrEqual(3 * 4);
  });

  test('a temporary file older than a minute is removed by the next write, a younger one is left alone', () => {
    const dir = freshDir();
    const stale = path.join(dir, '.stale.json.1-00.tmp');
    const live = path.join(dir, '.live.json.2-00.tmp');
    fs.writeFileSync(stale, '{');
    fs.writeFileSync(live, '{');
    ageBy(stale, 120);
    cachedLayout(tiny(0), dir);
    expect(entries(dir)).toEqual([path.basename(live), path.basename(file(dir, 0))].sort());
  });

  test('MEGA8S_CACHE_DIR moves it or turns it off; by default node_modules/.cache/mega8s beside dagre', () => {
    expect(layoutCacheDir({}, '/p/node_modules/@dagrejs/dagre')).toBe(path.join('/p', 'node_modules', '.cache', 'mega8s'));
    // Beside the dagre node resolves (node_modules may be a link: the real folder).
    expect(layoutCacheDir({})).toBe(path.join(fs.realpathSync(path.join(ROOT, 'node_modules')), '.cache', 'mega8s'));
    expect(layoutCacheDir({}, null)).toBeNull();
    expect(layoutCacheDir({ MEGA8S_CACHE_DIR: '/tmp/elsewhere' }, '/p/node_modules/@dagrejs/dagre')).toBe('/tmp/elsewhere');
    expect(layoutCacheDir({ MEGA8S_CACHE_DIR: 'rel' })).toBe(path.resolve('rel'));
    expect(layoutCacheDir({ MEGA8S_CACHE_DIR: '' })).toBeNull();
    expect(layoutCacheDir({ MEGA8S_CACHE_DIR: 'off' })).toBeNull();
  });
});
