/**
 * The page in a real browser (Debian's chromium driven by playwright-core) against the real
 * frontend server, the real programs and a fake Kubernetes API, all on 127.0.0.1.
 * Screenshots land in lib/kube-alive/artifacts/ (git-ignored).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { killAllChildren } from '../grpc/processes';
import { FakeKube, podFixture } from './fake-kube';
import { buildPage } from './page';
import { ProgramProcess, startProgram } from './processes';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = path.join(__dirname, 'artifacts');
const IMAGE = 'registry.example/kube-alive';

let dir: string;
let kube: FakeKube;
let programs: Record<'getip' | 'healthcheck' | 'cpuhog' | 'incver' | 'frontend', ProgramProcess>;
let context: BrowserContext;
let page: Page;
/** Console errors (CSP violations among them) and uncaught exceptions of the page. */
const problems: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-alive-page-'));
  const pageDir = await buildPage(path.join(dir, 'page'));
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, 'frontend-token');
  kube = new FakeKube('kube-alive', 'frontend-token');
  const apiUrl = await kube.start();
  ['a', 'b', 'c', 'd'].forEach((s, i) => kube.put(podFixture(`getip-5c7f9-${s}`, 'getip', { ip: `10.42.0.${11 + i}`, image: `${IMAGE}:1` })));
  kube.put(podFixture('healthcheck-6b4d8-a', 'healthcheck', { ip: '10.42.1.5', image: `${IMAGE}:1` }));
  kube.put(podFixture('cpuhog-7f8c9-a', 'cpuhog', { ip: '10.42.2.7', image: `${IMAGE}:1` }));
  kube.put(podFixture('incver-84c6d-a', 'incver', { ip: '10.42.3.9', image: `${IMAGE}:3` }));
  kube.put(podFixture('incver-84c6d-b', 'incver', { ip: '10.42.3.10', image: `${IMAGE}:3` }));
  kube.putDeployment('incver', [{ name: 'incver', image: `${IMAGE}:3` }]);
  const api = { KUBE_API_URL: apiUrl, KUBE_TOKEN_FILE: tokenFile, POD_NAMESPACE: 'kube-alive' };
  const [getip, healthcheck, cpuhog, incver] = await Promise.all([
    startProgram('getip', { POD_NAME: 'getip-5c7f9-b', POD_IP: '10.42.0.12' }),
    startProgram('healthcheck', { POD_NAME: 'healthcheck-6b4d8-a', POD_IP: '10.42.1.5' }),
    startProgram('cpuhog', { POD_NAME: 'cpuhog-7f8c9-a', POD_IP: '10.42.2.7' }),
    startProgram('incver', { POD_NAME: 'incver-84c6d-a', KUBE_ALIVE_VERSION: '3', ...api }),
  ]);
  const frontend = await startProgram('frontend', {
    PAGE_DIR: pageDir, GETIP_URL: getip.url, HEALTHCHECK_URL: healthcheck.url, CPUHOG_URL: cpuhog.url, INCVER_URL: incver.url, ...api,
  });
  programs = { getip, healthcheck, cpuhog, incver, frontend };
  context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${frontend.url}/`);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await killAllChildren();
  await kube?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const card = (name: string): string => `section[data-experiment="${name}"]`;

test('renders each experiment\'s pods with versions and replica counts from the pod list', async () => {
  await page.locator(`${card('getip')} li[data-pod]`).nth(3).waitFor();
  expect(await page.locator(`${card('getip')} li[data-pod]`).evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.pod)))
    .toEqual(['getip-5c7f9-a', 'getip-5c7f9-b', 'getip-5c7f9-c', 'getip-5c7f9-d']);
  expect(await page.locator(`${card('getip')} [data-testid=replicas]`).textContent()).toBe('4/4 ready');
  expect(await page.locator(`${card('incver')} li[data-pod="incver-84c6d-a"] .meta`).textContent()).toContain('10.42.3.9 · tag 3 · Running');
  await page.locator('#status.live').waitFor();
  expect(await page.locator('#status').textContent()).toBe('live: watching the pods of kube-alive');
  await shot('1-rendered');
});

test('a pod added by the watch appears without a reload', async () => {
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });
  kube.put(podFixture('getip-5c7f9-e', 'getip', { ip: '10.42.0.15', ready: false }));
  await page.locator(`${card('getip')} li[data-pod="getip-5c7f9-e"]`).waitFor({ timeout: 5000 });
  expect(await page.locator(`${card('getip')} [data-testid=replicas]`).textContent()).toBe('4/5 ready');
  kube.put(podFixture('getip-5c7f9-e', 'getip', { ip: '10.42.0.15', ready: true }));
  await page.locator(`${card('getip')} [data-testid=replicas]`, { hasText: '5/5 ready' }).waitFor({ timeout: 5000 });
  kube.remove('getip-5c7f9-a');
  await page.locator(`${card('getip')} li[data-pod="getip-5c7f9-a"]`).waitFor({ state: 'detached', timeout: 5000 });
  // Same document all along: the watch stream, not a reload, brought the changes.
  expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
  const lists = kube.seen.filter((s) => s.url.startsWith('/api/v1/namespaces/kube-alive/pods') && !s.url.includes('watch='));
  expect(lists).toHaveLength(1);
});

test('when the API ends the watch, the page resumes it from the last resourceVersion without listing again', async () => {
  const watches = (): string[] => kube.seen.filter((s) => s.url.includes('watch=1')).map((s) => s.url);
  const before = watches().length;
  const latest = kube.resourceVersion;
  kube.endWatches();
  for (let i = 0; i < 100 && watches().length === before; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(watches()).toHaveLength(before + 1);
  const resumed = new URL(watches()[before], 'http://x').searchParams.get('resourceVersion');
  kube.put(podFixture('cpuhog-7f8c9-b', 'cpuhog', { ip: '10.42.2.8' }));
  await page.locator(`${card('cpuhog')} li[data-pod="cpuhog-7f8c9-b"]`).waitFor({ timeout: 5000 });
  // It resumed from the last event it had seen (the removal of getip-5c7f9-a), not from scratch.
  expect(resumed).toBe(latest);
  expect(kube.seen.filter((s) => s.url.startsWith('/api/v1/namespaces/kube-alive/pods') && !s.url.includes('watch='))).toHaveLength(1);
});

test('asking getip highlights the pod that answered', async () => {
  await page.locator(card('getip')).getByRole('button', { name: 'Ask once' }).click();
  await page.locator(`${card('getip')} li[data-pod="getip-5c7f9-b"].answered`).waitFor({ timeout: 5000 });
  expect(await page.locator(`${card('getip')} output`).textContent()).toBe('answered by getip-5c7f9-b (10.42.0.12)');
});

test('clicking "infect" makes healthcheck fail its liveness probe; a restart shows up', async () => {
  expect((await fetch(`${programs.healthcheck.url}/healthz`)).status).toBe(200);
  await page.locator(card('healthcheck')).getByRole('button', { name: 'Infect' }).click();
  await page.locator(`${card('healthcheck')} li[data-pod="healthcheck-6b4d8-a"] .badge`, { hasText: 'infected' }).waitFor({ timeout: 5000 });
  expect((await fetch(`${programs.healthcheck.url}/healthz`)).status).toBe(500);
  await shot('2-infected');
  // What the kubelet does next, as the API reports it: the container restarted.
  kube.put(podFixture('healthcheck-6b4d8-a', 'healthcheck', { ip: '10.42.1.5', image: `${IMAGE}:1`, restarts: 1 }));
  await page.locator(`${card('healthcheck')} li[data-pod="healthcheck-6b4d8-a"] [data-testid=restarts]`, { hasText: '↻ 1' }).waitFor({ timeout: 5000 });
  expect(await page.locator(`${card('healthcheck')} li[data-pod="healthcheck-6b4d8-a"] .badge`, { hasText: 'infected' }).count()).toBe(0);
});

test('cpuhog burns on request and says which pod did', async () => {
  await page.locator(card('cpuhog')).getByRole('button', { name: 'Burn 1 s' }).click();
  await page.locator(`${card('cpuhog')} output`, { hasText: 'cpuhog-7f8c9-a was busy for' }).waitFor({ timeout: 10_000 });
});

test('incver rolls its Deployment to the next version through the API', async () => {
  await page.locator(card('incver')).getByRole('button', { name: 'Roll to next version' }).click();
  await page.locator(`${card('incver')} output`, { hasText: '→' }).waitFor({ timeout: 5000 });
  expect(await page.locator(`${card('incver')} output`).textContent())
    .toBe(`incver-84c6d-a rolled the Deployment: ${IMAGE}:3 → ${IMAGE}:4`);
  expect(kube.deployment('incver')!.spec.template.spec.containers[0].image).toBe(`${IMAGE}:4`);
  // The rollout as the watch reports it: a new pod at version 4.
  kube.put(podFixture('incver-9a1b2-a', 'incver', { ip: '10.42.3.20', image: `${IMAGE}:4` }));
  await page.locator(`${card('incver')} li[data-pod="incver-9a1b2-a"] .meta`, { hasText: ' · tag 4 · ' }).waitFor({ timeout: 5000 });
  await shot('3-rolling');
});

test('the page ran without errors or content-security-policy violations', () => {
  expect(problems).toEqual([]);
});

test('the frontend refuses /api/v1/secrets (and the API never sees it)', async () => {
  const statuses = await page.evaluate(async () => Promise.all(
    ['/api/v1/secrets', '/api/v1/namespaces/kube-alive/secrets', '/apis/apps/v1/namespaces/kube-alive/deployments']
      .map(async (p) => (await fetch(p)).status),
  ));
  expect(statuses).toEqual([403, 403, 403]);
  expect(kube.seen.filter((s) => !s.url.startsWith('/api/v1/namespaces/kube-alive/pods') && !s.url.startsWith('/apis/apps/v1/namespaces/kube-alive/deployments/incver'))).toEqual([]);
  expect(kube.seen.filter((s) => s.url.startsWith('/apis/')).map((s) => s.token)).toEqual(['frontend-token', 'frontend-token']);
});
