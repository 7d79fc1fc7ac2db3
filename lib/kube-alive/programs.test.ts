import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { FakeKube } from './fake-kube';
import { Program, Running, serve } from './http';
import { cpuhog, getip, healthcheck, identityFromEnv, incver, nextImage } from './programs';

const ID = { pod: 'getip-7d9f-abcde', ip: '10.1.2.3' };
const running: Running[] = [];

async function start(program: Program, drainMs?: number): Promise<Running> {
  const r = await serve(program, { host: '127.0.0.1', port: 0, drainMs });
  running.push(r);
  return r;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.shutdown()));
});

async function call(url: string, method = 'GET'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('identityFromEnv', () => {
  test('takes the pod name and IP from the downward API variables', () => {
    expect(identityFromEnv({ POD_NAME: 'getip-1', POD_IP: '10.9.8.7' })).toEqual({ pod: 'getip-1', ip: '10.9.8.7' });
  });
  test('falls back to the hostname and an IPv4 address of this machine', () => {
    const id = identityFromEnv({});
    expect(id.pod).toBe(os.hostname());
    expect(id.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});

describe('getip', () => {
  test('answers with the pod name and IP', async () => {
    const r = await start(getip(ID));
    expect(await call(`${r.url}/`)).toEqual({ status: 200, body: { program: 'getip', pod: ID.pod, ip: ID.ip } });
  });
  test('has liveness and readiness endpoints', async () => {
    const r = await start(getip(ID));
    expect((await call(`${r.url}/healthz`)).status).toBe(200);
    expect(await call(`${r.url}/readyz`)).toEqual({ status: 200, body: { program: 'getip', ready: true } });
  });
  test('refuses other paths and methods', async () => {
    const r = await start(getip(ID));
    expect((await call(`${r.url}/nope`)).status).toBe(404);
    const post = await fetch(`${r.url}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});

describe('healthcheck', () => {
  test('is live until infected, and live again when cured', async () => {
    const logged: string[] = [];
    const program = healthcheck(ID, { kill: () => undefined, log: (l) => logged.push(l) });
    const r = await start(program);
    expect((await call(`${r.url}/healthz`)).status).toBe(200);
    expect(await call(`${r.url}/infect`, 'POST')).toEqual({ status: 200, body: { program: 'healthcheck', pod: ID.pod, healthy: false } });
    expect(await call(`${r.url}/healthz`)).toEqual({ status: 500, body: { program: 'healthcheck', live: false } });
    // Readiness is about serving traffic, not about the infection: the page can still reach it to cure it.
    expect((await call(`${r.url}/readyz`)).status).toBe(200);
    expect((await call(`${r.url}/`)).body.healthy).toBe(false);
    expect((await call(`${r.url}/cure`, 'POST')).body.healthy).toBe(true);
    expect((await call(`${r.url}/healthz`)).status).toBe(200);
    expect(logged).toEqual([`healthcheck ${ID.pod}: infected; /healthz now answers 500`, `healthcheck ${ID.pod}: cured`]);
  });
  test('/kill answers first, then ends the process', async () => {
    let killed = 0;
    const r = await start(healthcheck(ID, { kill: () => { killed++; }, log: () => undefined }));
    const answer = await call(`${r.url}/kill`, 'POST');
    expect(answer.body).toMatchObject({ pod: ID.pod, killed: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(killed).toBe(1);
  });
  test('changes state only on POST', async () => {
    const program = healthcheck(ID, { kill: () => undefined, log: () => undefined });
    const r = await start(program);
    expect((await call(`${r.url}/infect`)).status).toBe(405);
    expect(program.healthy()).toBe(true);
  });
});

describe('cpuhog', () => {
  test('stays busy for the time asked and says so', async () => {
    const r = await start(cpuhog(ID));
    const t0 = Date.now();
    const answer = await call(`${r.url}/?ms=120`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(115);
    expect(answer.body).toMatchObject({ program: 'cpuhog', pod: ID.pod });
    expect(answer.body.busyMs).toBeGreaterThanOrEqual(120);
    expect(answer.body.spins).toBeGreaterThan(0);
  });
  test('bounds the time: above maxMs or not a positive integer is a 400', async () => {
    const r = await start(cpuhog(ID, { defaultMs: 100, maxMs: 300 }));
    for (const ms of ['301', '0', '-5', '1.5', 'abc']) {
      const answer = await call(`${r.url}/?ms=${ms}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe(`ms ${ms} is not an integer between 1 and 300`);
    }
  });
  test('keeps answering its probes while busy', async () => {
    const r = await start(cpuhog(ID, { maxMs: 2000 }));
    const busy = call(`${r.url}/?ms=600`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const t0 = Date.now();
    expect((await call(`${r.url}/healthz`)).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(400);
    expect((await busy).status).toBe(200);
  });
  test('rejects bad options', () => {
    expect(() => cpuhog(ID, { maxMs: 0 })).toThrow('cpuhog: maxMs 0 is not a positive integer of milliseconds');
    expect(() => cpuhog(ID, { defaultMs: 900, maxMs: 500 })).toThrow('cpuhog: defaultMs 900 is above maxMs 500');
  });
});

describe('nextImage', () => {
  test.each([
    ['registry.example/kube-alive:1', 'registry.example/kube-alive:2'],
    ['localhost:5000/incver:v1.2.9', 'localhost:5000/incver:v1.2.10'],
    ['incver:2.0-alpine', 'incver:2.1-alpine'],
    ['incver:007', 'incver:8'],
  ])('%s -> %s', (from, to) => expect(nextImage(from)).toBe(to));
  test.each([
    ['incver', 'image incver has no tag; expected <repository>:<tag> with a number in the tag'],
    ['localhost:5000/incver', 'image localhost:5000/incver has no tag; expected <repository>:<tag> with a number in the tag'],
    ['incver:latest', 'image incver:latest: tag latest has no number to increment'],
    ['incver@sha256:abc1', 'image incver@sha256:abc1 is pinned by digest; expected a tag to increment'],
  ])('%s has no next tag', (image, message) => expect(() => nextImage(image)).toThrow(message));
});

describe('incver', () => {
  let kube: FakeKube;
  let dir: string;
  let access: { apiUrl: URL; tokenFile: string; caFile: string; namespace: string };

  beforeEach(async () => {
    kube = new FakeKube('kube-alive', 'token-1');
    const url = await kube.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'incver-'));
    fs.writeFileSync(path.join(dir, 'token'), 'token-1\n');
    access = { apiUrl: new URL(url), tokenFile: path.join(dir, 'token'), caFile: path.join(dir, 'ca.crt'), namespace: 'kube-alive' };
  });
  afterEach(async () => {
    await kube.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('reports its version', async () => {
    const r = await start(incver(ID, { version: '3', kube: access }));
    expect(await call(`${r.url}/`)).toEqual({ status: 200, body: { program: 'incver', pod: ID.pod, version: '3' } });
  });

  test('POST /next patches only its own container of its own Deployment to the next tag', async () => {
    kube.putDeployment('incver', [{ name: 'sidecar', image: 'sidecar:9' }, { name: 'incver', image: 'registry.example/kube-alive:3' }]);
    const logged: string[] = [];
    const r = await start(incver(ID, { version: '3', kube: access, log: (l) => logged.push(l) }));
    const answer = await call(`${r.url}/next`, 'POST');
    expect(answer).toEqual({ status: 200, body: { program: 'incver', pod: ID.pod, version: '3', from: 'registry.example/kube-alive:3', to: 'registry.example/kube-alive:4' } });
    expect(kube.deployment('incver')!.spec.template.spec.containers).toEqual([
      { name: 'sidecar', image: 'sidecar:9' }, { name: 'incver', image: 'registry.example/kube-alive:4' },
    ]);
    const patch = kube.seen.find((s) => s.method === 'PATCH')!;
    expect(patch.url).toBe('/apis/apps/v1/namespaces/kube-alive/deployments/incver');
    expect(patch.contentType).toBe('application/strategic-merge-patch+json');
    expect(JSON.parse(patch.body)).toEqual({ spec: { template: { spec: { containers: [{ name: 'incver', image: 'registry.example/kube-alive:4' }] } } } });
    expect(patch.token).toBe('token-1');
    expect(logged).toEqual([`incver ${ID.pod}: rolling incver from registry.example/kube-alive:3 to registry.example/kube-alive:4`]);
  });

  test('reads the token again for every request (the kubelet rotates it)', async () => {
    kube.putDeployment('roller', [{ name: 'app', image: 'app:1' }]);
    const r = await start(incver(ID, { version: '1', kube: access, deployment: 'roller', container: 'app', log: () => undefined }));
    expect((await call(`${r.url}/next`, 'POST')).status).toBe(200);
    fs.writeFileSync(access.tokenFile, 'token-2');
    kube.token = 'token-2';
    expect((await call(`${r.url}/next`, 'POST')).body.to).toBe('app:3');
    expect(kube.seen.map((s) => s.token)).toEqual(['token-1', 'token-1', 'token-2', 'token-2']);
  });

  test('an API refusal is a 502 naming the API answer; an image without a tag is a 409', async () => {
    const r = await start(incver(ID, { version: '1', kube: access }));
    const missing = await call(`${r.url}/next`, 'POST');
    expect(missing).toEqual({ status: 502, body: { error: 'GET /apis/apps/v1/namespaces/kube-alive/deployments/incver: 404 deployments.apps "incver" not found' } });
    kube.putDeployment('incver', [{ name: 'incver', image: 'incver:latest' }]);
    expect(await call(`${r.url}/next`, 'POST')).toEqual({ status: 409, body: { error: 'image incver:latest: tag latest has no number to increment' } });
    expect(kube.seen.some((s) => s.method === 'PATCH')).toBe(false);
    kube.token = 'someone-else';
    expect((await call(`${r.url}/next`, 'POST')).body.error).toMatch(/: 401 Unauthorized$/);
  });
});

describe('graceful shutdown', () => {
  test('stops being ready, lets the request in flight finish, then closes', async () => {
    const r = await start(cpuhog(ID, { maxMs: 2000 }));
    const agent = new http.Agent({ keepAlive: true });
    const busy = call(`${r.url}/?ms=400`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // A connection opened before SIGTERM still reaches the server during the drain.
    const ready = await new Promise<number>((resolve) => http.get(`${r.url}/readyz`, { agent }, (res) => { res.resume(); resolve(res.statusCode!); }));
    expect(ready).toBe(200);
    const stopped = r.shutdown();
    expect(r.ready()).toBe(false);
    expect((await busy).status).toBe(200);
    await stopped;
    await expect(fetch(`${r.url}/healthz`)).rejects.toThrow();
    agent.destroy();
  });
});
