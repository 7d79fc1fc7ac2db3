/**
 * dist/<env>/topology.svg rendered by headless chromium (playwright-core, the Debian browser): the
 * expected nodes and edges are there by id, text and namespace, laid out inside the picture, not pixels.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BrowserContext, chromium } from 'playwright-core';

const ROOT = path.join(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let dir: string;
let context: BrowserContext;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-topology-'));
  context = await chromium.launchPersistentContext(path.join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: FLAGS });
}, 60_000);

afterAll(async () => {
  await context?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function rendered(env: string) {
  const page = await context.newPage();
  await page.goto(`file://${path.join(ROOT, 'dist', env, 'topology.svg')}`);
  const result = await page.evaluate(() => {
    const svg = document.querySelector('svg')!;
    const box = svg.getBoundingClientRect();
    const inside = (el: Element) => {
      const b = el.getBoundingClientRect();
      return b.width > 0 && b.height > 0 && b.left >= box.left - 1 && b.right <= box.right + 1 && b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
    };
    return {
      nodes: Array.from(document.querySelectorAll('g.node')).map((g) => ({ id: g.id, kind: g.getAttribute('data-kind'), namespace: g.getAttribute('data-namespace'), text: g.textContent, inside: inside(g) })),
      edges: Array.from(document.querySelectorAll('path.edge')).map((p) => ({ from: p.getAttribute('data-from'), to: p.getAttribute('data-to'), kind: p.getAttribute('data-kind'), length: (p as SVGPathElement).getTotalLength() })),
      namespaces: Array.from(document.querySelectorAll('g.namespace')).map((g) => g.textContent),
    };
  });
  await page.close();
  return result;
}

test('prod: the 400-member fleet is one node, LoadBalancer Services point at workloads, claims and RBAC are drawn', async () => {
  const r = await rendered('prod');
  expect(r.namespaces).toEqual(expect.arrayContaining(['namespace fourhundred', 'namespace shippy', 'namespace preemptible']));
  const whoami = r.nodes.find((n) => n.id === 'fleet-Deployment-fourhundred-whoami');
  expect(whoami).toMatchObject({ kind: 'Deployment', text: 'Deploymentwhoami ×400', inside: true });
  expect(r.nodes.filter((n) => n.kind === 'Deployment' && n.id.startsWith('Deployment-fourhundred-service-'))).toEqual([]);
  expect(r.edges).toContainEqual(expect.objectContaining({ from: 'fleet-Service-fourhundred-whoami-LoadBalancer', to: 'fleet-Deployment-fourhundred-whoami', kind: 'selects' }));
  expect(r.edges.filter((e) => e.kind === 'claims').map((e) => e.from)).toContain('StatefulSet-preemptible-mongo');
  expect(r.edges.some((e) => e.kind === 'binds')).toBe(true);
  expect(r.edges.some((e) => e.kind === 'allows')).toBe(true);
  expect(r.nodes.every((n) => n.inside)).toBe(true);
  expect(r.edges.every((e) => e.length > 0)).toBe(true);
}, 60_000);

test('dev: a fleet of 10 is one node too', async () => {
  const r = await rendered('dev');
  expect(r.nodes.find((n) => n.id === 'fleet-Deployment-fourhundred-whoami')?.text).toBe('Deploymentwhoami ×10');
}, 60_000);

test('dev: NetworkPolicy edges cross namespaces (Locust workers -> the whoami fleet) and come from outside', async () => {
  const r = await rendered('dev');
  const node = (id: string | null) => r.nodes.find((n) => n.id === id);
  const allows = r.edges.filter((e) => e.kind === 'allows');
  const across = allows.filter((e) => node(e.from)?.namespace && node(e.to)?.namespace && node(e.from)!.namespace !== node(e.to)!.namespace);
  expect(across).toContainEqual(expect.objectContaining({ to: 'fleet-Deployment-fourhundred-whoami' }));
  const toWhoami = across.find((e) => e.to === 'fleet-Deployment-fourhundred-whoami')!;
  expect(node(toWhoami.from)).toMatchObject({ namespace: 'loadtest', text: expect.stringContaining('locust'), inside: true });
  expect(node('fleet-Deployment-fourhundred-whoami')?.namespace).toBe('fourhundred');
  expect(toWhoami.length).toBeGreaterThan(0);

  const outside = r.nodes.filter((n) => n.kind === 'Outside');
  expect(outside).toEqual([expect.objectContaining({ id: 'outside-anywhere', namespace: null, text: 'Outsideanywhere', inside: true })]);
  // kube-alive's frontend and shippy's micro and ui are reached through NodePort/LoadBalancer Services.
  expect(allows.filter((e) => e.from === 'outside-anywhere').map((e) => e.to)).toEqual(
    expect.arrayContaining(['Deployment-kube-alive-frontend', 'Deployment-shippy-micro', 'Deployment-shippy-ui']));
  expect(r.nodes.every((n) => n.inside)).toBe(true);
  expect(r.edges.every((e) => e.length > 0)).toBe(true);
}, 60_000);
