import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { FakeKube, podFixture } from './fake-kube';
import { CONTENT_SECURITY_POLICY, EXPERIMENTS, frontend, upstreamsFromEnv } from './frontend';
import { Running, serve } from './http';
import { buildPage } from './page';
import { getip, healthcheck } from './programs';

let dir: string;
let kube: FakeKube;
let front: Running;
let upstreams: Running[];
let tokenFile: string;
/** What a plain recording upstream (cpuhog, incver) received. */
const recorded: { method: string; url: string; body: string }[] = [];
let recorder: http.Server;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'frontend-'));
  await buildPage(path.join(dir, 'page'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  kube = new FakeKube('kube-alive', 'token-1');
  const apiUrl = await kube.start();
  tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, 'token-1');
  upstreams = [
    await serve(getip({ pod: 'getip-a', ip: '10.0.0.7' }), { host: '127.0.0.1', port: 0 }),
    await serve(healthcheck({ pod: 'healthcheck-a', ip: '10.0.0.8' }, { kill: () => undefined, log: () => undefined }), { host: '127.0.0.1', port: 0 }),
  ];
  recorded.length = 0;
  recorder = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      recorded.push({ method: req.method!, url: req.url!, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ pod: 'recorder' }));
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  const rec = `http://127.0.0.1:${(recorder.address() as { port: number }).port}`;
  front = await serve(frontend({
    pageDir: path.join(dir, 'page'),
    upstreams: { getip: new URL(upstreams[0].url), healthcheck: new URL(upstreams[1].url), cpuhog: new URL(rec), incver: new URL(rec) },
    kube: { apiUrl: new URL(apiUrl), tokenFile, caFile: path.join(dir, 'ca.crt'), namespace: 'kube-alive' },
  }), { host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  await front.shutdown();
  await Promise.all(upstreams.map((u) => u.shutdown()));
  recorder.closeAllConnections();
  await new Promise((resolve) => recorder.close(resolve));
  await kube.stop();
});

/** A raw request: the path goes out exactly as written (fetch would normalise `..`). */
function raw(method: string, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${front.url}${p}`, { method, path: p }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the page', () => {
  test('serves index.html, the bundle, the styles and its configuration', async () => {
    const index = await fetch(`${front.url}/`);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(await index.text()).toContain('<script src="app.js"></script>');
    const js = await fetch(`${front.url}/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toContain('/api/v1/namespaces/');
    expect((await fetch(`${front.url}/app.css`)).status).toBe(200);
    expect(await (await fetch(`${front.url}/config.json`)).json()).toEqual({ namespace: 'kube-alive', experiments: [...EXPERIMENTS] });
  });
  test('serves nothing else from disk', async () => {
    expect((await raw('GET', '/../page.ts')).status).toBe(404);
    expect((await raw('GET', '/web/app.ts')).status).toBe(404);
  });
  test('refuses to start without a built page', () => {
    expect(() => frontend({ pageDir: path.join(dir, 'nothing'), upstreams: upstreamsFromEnv({}), kube: { apiUrl: new URL('http://x'), tokenFile, caFile: '', namespace: 'n' } }))
      .toThrow(`kube-alive frontend: ${path.join(dir, 'nothing', 'index.html')} is missing; build the page first (npm run kube-alive:page)`);
  });
});

describe('the experiment proxies', () => {
  test('/getip reaches getip and returns who answered', async () => {
    expect(await (await fetch(`${front.url}/getip`)).json()).toEqual({ program: 'getip', pod: 'getip-a', ip: '10.0.0.7' });
  });
  test('/healthcheck/* keeps method and path: infect makes the program fail its probe', async () => {
    const answer = await fetch(`${front.url}/healthcheck/infect`, { method: 'POST' });
    expect(await answer.json()).toMatchObject({ pod: 'healthcheck-a', healthy: false });
    expect((await fetch(`${upstreams[1].url}/healthz`)).status).toBe(500);
  });
  test('/cpuhog and /incver/* pass path, query and body on', async () => {
    await fetch(`${front.url}/cpuhog?ms=300`);
    await fetch(`${front.url}/incver/next`, { method: 'POST', body: 'x', headers: { cookie: 'secret=1' } });
    await fetch(`${front.url}/incver`);
    expect(recorded).toEqual([
      { method: 'GET', url: '/?ms=300', body: '' },
      { method: 'POST', url: '/next', body: 'x' },
      { method: 'GET', url: '/', body: '' },
    ]);
  });
  test('a Service that does not answer is a 502', async () => {
    await upstreams[0].shutdown();
    const answer = await fetch(`${front.url}/getip`);
    expect(answer.status).toBe(502);
    expect(((await answer.json()) as { error: string }).error).toMatch(/^127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  });
  test('upstreams default to the Service names in the own namespace', () => {
    const u = upstreamsFromEnv({ CPUHOG_URL: 'http://127.0.0.1:9999' });
    expect(u.getip.href).toBe('http://getip/');
    expect(u.healthcheck.href).toBe('http://healthcheck/');
    expect(u.incver.href).toBe('http://incver/');
    expect(u.cpuhog.href).toBe('http://127.0.0.1:9999/');
    expect(() => upstreamsFromEnv({ GETIP_URL: 'https://getip' })).toThrow('kube-alive frontend: GETIP_URL https://getip is not an http:// URL');
  });
});

describe('the Kubernetes API proxy', () => {
  const pods = '/api/v1/namespaces/kube-alive/pods';

  test('lists the pods of its own namespace with the ServiceAccount token', async () => {
    kube.put(podFixture('getip-a', 'getip'));
    const answer = await fetch(`${front.url}${pods}?labelSelector=app.kubernetes.io%2Fname%3Dgetip`);
    expect(answer.status).toBe(200);
    const list = (await answer.json()) as { kind: string; items: { metadata: { name: string } }[] };
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p) => p.metadata.name)).toEqual(['getip-a']);
    expect(kube.seen).toEqual([expect.objectContaining({ method: 'GET', url: `${pods}?labelSelector=app.kubernetes.io%2Fname%3Dgetip`, token: 'token-1' })]);
  });

  test('streams a watch: events arrive as the API sends them', async () => {
    const controller = new AbortController();
    const answer = await fetch(`${front.url}${pods}?watch=1&resourceVersion=100`, { signal: controller.signal });
    expect(answer.status).toBe(200);
    const reader = answer.body!.pipeThrough(new TextDecoderStream()).getReader();
    kube.put(podFixture('cpuhog-b', 'cpuhog'));
    let text = '';
    while (!text.includes('\n')) text += (await reader.read()).value;
    expect(JSON.parse(text.trim())).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'cpuhog-b' } } });
    controller.abort();
    // The page going away ends the watch upstream too.
    for (let i = 0; i < 50 && kube.watching > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(kube.watching).toBe(0);
  });

  test('ends open watches when it drains, so that pages resume on another replica at once', async () => {
    const answer = await fetch(`${front.url}${pods}?watch=1`);
    const reader = answer.body!.getReader();
    const t0 = Date.now();
    await front.shutdown();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await reader.read()).done).toBe(true);
  });

  test('reads the token on every request, so a rotated token is used at once', async () => {
    expect((await fetch(`${front.url}${pods}`)).status).toBe(200);
    fs.writeFileSync(tokenFile, 'token-2\n');
    kube.token = 'token-2';
    expect((await fetch(`${front.url}${pods}`)).status).toBe(200);
    expect(kube.seen.map((s) => s.token)).toEqual(['token-1', 'token-2']);
  });

  test.each([
    ['GET', '/api/v1/secrets'],
    ['GET', '/api/v1/namespaces/kube-alive/secrets'],
    ['GET', '/api/v1/namespaces/kube-system/pods'],
    ['GET', '/api/v1/pods'],
    ['GET', '/api/v1/namespaces/kube-alive/pods/getip-a'],
    ['GET', '/api/v1/namespaces/kube-alive/pods/getip-a/log'],
    ['GET', '/api/v1/namespaces/kube-alive/pods/../secrets'],
    ['GET', '/api/v1/namespaces/kube-alive/pods/'],
    ['GET', '/api/v1/namespaces/kube-alive/p%6fds'],
    ['GET', '/apis/apps/v1/namespaces/kube-alive/deployments/incver'],
    ['GET', '/api'],
    ['POST', '/api/v1/namespaces/kube-alive/pods'],
    ['DELETE', '/api/v1/namespaces/kube-alive/pods'],
    ['GET', '/api/v1/namespaces/kube-alive/pods?fieldSelector=spec.nodeName%3Dx'],
  ])('refuses %s %s with 403 and never asks the API', async (method, p) => {
    const answer = await raw(method, p);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(kube.seen).toEqual([]);
  });

  test('an API that does not answer is a 502, not a hang', async () => {
    await kube.stop();
    const answer = await fetch(`${front.url}${pods}`);
    expect(answer.status).toBe(502);
    expect(((await answer.json()) as { error: string }).error).toMatch(/^kubernetes api: connect ECONNREFUSED/);
  });
});
