/**
 * The drain script run for real (bash, curl, jq) against a fake metadata server and a fake API
 * server on 127.0.0.1: the process-level half of the NodeDrainer tests (node-drainer.test.ts holds
 * the construct's own).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { NODE_DRAINER_RULES, NodeDrainer, NodeDrainerProps, drainBudget } from './node-drainer';

/** The drain script as it is in the repository (scripts.test.ts proves the embedded copy equal). */
const DRAIN_FILE = path.join(__dirname, 'scripts', 'drain.sh');

/** The drainer's container as the construct renders it. */
function synth(props: NodeDrainerProps = {}) {
  const chart = Testing.chart();
  new NodeDrainer(chart, 'drainer', props);
  const daemonSet = Testing.synth(chart).find((o) => o.kind === 'DaemonSet')!;
  return { container: daemonSet.spec.template.spec.containers[0] };
}

const NODE = 'gke-pool-spot-1a2b';
const PREEMPTED_PATH = '/computeMetadata/v1/instance/preempted';

/** How the stand-in metadata server misbehaves (or not). */
type Behaviour = 'normal' | 'http-503' | 'no-flavor-header' | 'garbage';

interface SeenRequest {
  readonly url: string;
  readonly flavor: string | undefined;
}

/**
 * The GCE metadata server's `instance/preempted`, as far as the drainer uses it: a plain GET
 * answers the value and its ETag; `wait_for_change=true&last_etag=<current>` hangs until the
 * value changes (or until the test says the long poll timed out).
 */
class FakeMetadataServer {
  public readonly requests: SeenRequest[] = [];
  public behaviour: Behaviour = 'normal';
  private value = 'FALSE';
  private etag = 1;
  private held: http.ServerResponse[] = [];
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** The value changes: held long polls are answered at once. */
  set(value: 'TRUE' | 'FALSE'): void {
    this.value = value;
    this.etag++;
    this.release();
  }

  /** Held long polls end without a change, as when their timeout_sec runs out. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const res of held) this.answer(res);
  }

  get holding(): number {
    return this.held.length;
  }

  async close(): Promise<void> {
    this.held = [];
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push({ url: req.url ?? '', flavor: req.headers['metadata-flavor'] as string | undefined });
    const url = new URL(req.url ?? '/', 'http://metadata');
    if (url.pathname !== PREEMPTED_PATH) {
      res.writeHead(404, { 'Metadata-Flavor': 'Google' }).end('not found');
      return;
    }
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403, { 'Metadata-Flavor': 'Google' }).end('missing Metadata-Flavor header');
      return;
    }
    switch (this.behaviour) {
      // Each misbehaviour says TRUE somewhere, so that a drain would show that it was believed.
      case 'http-503': res.writeHead(503, { 'Metadata-Flavor': 'Google', ETag: 'x' }).end('TRUE'); return;
      case 'no-flavor-header': res.writeHead(200, { ETag: 'x' }).end('TRUE'); return;
      case 'garbage': res.writeHead(200, { 'Metadata-Flavor': 'Google', ETag: 'x' }).end('<html>TRUE</html>'); return;
      case 'normal': break;
    }
    if (url.searchParams.get('wait_for_change') === 'true' && url.searchParams.get('last_etag') === String(this.etag)) {
      this.held.push(res);
      return;
    }
    this.answer(res);
  }

  private answer(res: http.ServerResponse): void {
    res.writeHead(200, { 'Metadata-Flavor': 'Google', ETag: String(this.etag), 'Content-Type': 'application/text' }).end(this.value);
  }
}

/** A pod on the fake node, and how the fake API server treats its eviction. */
interface FakePod {
  readonly namespace: string;
  readonly name: string;
  /** Controlled by a DaemonSet: the drain leaves it. */
  readonly daemonSet?: boolean;
  /** A static pod's mirror: the drain leaves it. */
  readonly mirror?: boolean;
  readonly phase?: 'Running' | 'Succeeded' | 'Failed';
  /** A PodDisruptionBudget group allowing one disruption, then none until `recoverMs` later. */
  readonly pdb?: string;
  /** How long the eviction request takes. */
  readonly evictMs?: number;
  /** How long the pod takes to stop once evicted. */
  readonly terminateMs?: number;
}

interface SeenApiRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: any;
}

/**
 * The parts of the Kubernetes API the drain uses, on 127.0.0.1: the node patch, the pod list by
 * field selector, and the eviction subresource with PodDisruptionBudgets (429 while a budget
 * allows no disruption) and the server's own rate limit (429 for every `throttleEvery`-th
 * eviction). Evicted pods are marked terminating and disappear `terminateMs` later.
 */
class FakeApiServer {
  public readonly token = 'fake-service-account-token';
  public readonly requests: SeenApiRequest[] = [];
  /** Answers of the eviction requests, in order: [namespace/name, status, gracePeriodSeconds]. */
  public readonly evictions: [string, number, number | undefined][] = [];
  public failPatch = false;
  public failEvictions = false;
  public throttleEvery = 0;
  public maxInFlight = 0;
  public pdbRecoverMs = 1000;
  private inFlight = 0;
  private evictionRequests = 0;
  private readonly pods = new Map<string, { pod: FakePod; deleting: boolean }>();
  private readonly pdbBlockedUntil = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private hold: Promise<void> | undefined;
  private releaseHold: (() => void) | undefined;
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { void this.handle(req, body, res); });
  });

  constructor(pods: FakePod[]) {
    for (const pod of pods) this.pods.set(`${pod.namespace}/${pod.name}`, { pod, deleting: false });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.releaseHold?.();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Eviction requests wait until `release()`. */
  holdEvictions(): void {
    this.hold = new Promise((resolve) => { this.releaseHold = resolve; });
  }

  release(): void {
    this.releaseHold?.();
    this.hold = undefined;
  }

  /** The pods still on the node (namespace/name). */
  get remaining(): string[] {
    return [...this.pods.keys()];
  }

  calls(method: string, prefix: string): SeenApiRequest[] {
    return this.requests.filter((r) => r.method === method && r.url.startsWith(prefix));
  }

  private later(ms: number, f: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); f(); }, ms);
    this.timers.add(t);
  }

  private async handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    let body: any;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const url = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', url, authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return json(401, { kind: 'Status', code: 401, reason: 'Unauthorized' });
    const { pathname, searchParams } = new URL(url, 'http://api');
    if (req.method === 'PATCH' && pathname === `/api/v1/nodes/${NODE}`) {
      return this.failPatch ? json(500, { kind: 'Status', code: 500 }) : json(200, { kind: 'Node', metadata: { name: NODE } });
    }
    if (req.method === 'GET' && pathname === '/api/v1/pods') {
      const selector = searchParams.get('fieldSelector') ?? '';
      if (!selector.split(',').includes(`spec.nodeName=${NODE}`)) return json(400, { kind: 'Status', code: 400, message: `unexpected fieldSelector ${selector}` });
      const excluded = selector.split(',').filter((s) => s.startsWith('status.phase!=')).map((s) => s.slice('status.phase!='.length));
      const items = [...this.pods.values()].filter(({ pod }) => !excluded.includes(pod.phase ?? 'Running')).map(({ pod, deleting }) => ({
        metadata: {
          namespace: pod.namespace,
          name: pod.name,
          ...(pod.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'abc123' } } : {}),
          ownerReferences: pod.mirror ? [{ apiVersion: 'v1', kind: 'Node', name: NODE, controller: true }]
            : [{ apiVersion: 'apps/v1', kind: pod.daemonSet ? 'DaemonSet' : 'ReplicaSet', name: `${pod.name}-owner`, controller: true }],
          ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
        },
        spec: { nodeName: NODE },
        status: { phase: pod.phase ?? 'Running' },
      }));
      return json(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
    }
    const eviction = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(pathname);
    if (req.method === 'POST' && eviction) {
      const key = `${eviction[1]}/${eviction[2]}`;
      if (body?.kind !== 'Eviction' || body?.apiVersion !== 'policy/v1' || body?.metadata?.name !== eviction[2] || body?.metadata?.namespace !== eviction[1]) {
        return json(400, { kind: 'Status', code: 400, message: 'name in URL does not match name in Eviction object' });
      }
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const n = ++this.evictionRequests;
      const entry = this.pods.get(key);
      await new Promise((r) => setTimeout(r, entry?.pod.evictMs ?? 0));
      if (this.hold) await this.hold;
      this.inFlight--;
      const answer = (status: number) => {
        this.evictions.push([key, status, body.deleteOptions?.gracePeriodSeconds]);
        json(status, { kind: 'Status', code: status });
      };
      if (this.failEvictions) return answer(500);
      if (!entry) return answer(404);
      if (entry.deleting) return answer(201);
      if (this.throttleEvery > 0 && n % this.throttleEvery === 0) return answer(429);
      const pdb = entry.pod.pdb;
      if (pdb !== undefined) {
        if (Date.now() < (this.pdbBlockedUntil.get(pdb) ?? 0)) return answer(429);
        this.pdbBlockedUntil.set(pdb, Date.now() + this.pdbRecoverMs);
      }
      entry.deleting = true;
      this.later(entry.pod.terminateMs ?? 0, () => this.pods.delete(key));
      return answer(201);
    }
    json(404, { kind: 'Status', code: 404, message: `no route for ${req.method} ${url}` });
  }
}

/** A node's pods as a drain finds them: a few workloads, a DaemonSet pod, a mirror pod, a finished Job pod. */
const SMALL_NODE: FakePod[] = [
  { namespace: 'shop', name: 'web-7d9f-abcde', terminateMs: 100 },
  { namespace: 'shop', name: 'worker-0', terminateMs: 300 },
  { namespace: 'kube-system', name: 'fluentbit-x2k9p', daemonSet: true },
  { namespace: 'kube-system', name: `kube-proxy-${NODE}`, mirror: true },
  { namespace: 'batch', name: 'report-28411-q8z', phase: 'Succeeded' },
];
const EVICTED = ['shop/web-7d9f-abcde', 'shop/worker-0'];
const LEFT_ALONE = ['kube-system/fluentbit-x2k9p', `kube-system/kube-proxy-${NODE}`, 'batch/report-28411-q8z'];

/**
 * A node at GKE's 110-pod maximum: 104 workload pods, 5 DaemonSet pods and the kube-proxy mirror
 * pod. Each eviction takes 30-150 ms at the API server and each pod 0.2-3 s to stop; two groups
 * of 3 pods are under PodDisruptionBudgets that allow one disruption at a time (the next one 1.5 s
 * later, when the replacement is ready elsewhere), and the server's rate limit refuses every 13th
 * eviction request once (429).
 */
function fullNode(): FakePod[] {
  const pods: FakePod[] = [];
  for (let i = 0; i < 104; i++) {
    const pdb = i < 3 ? 'checkout' : i < 6 ? 'search' : undefined;
    pods.push({ namespace: `team-${i % 7}`, name: `app-${i}`, pdb, evictMs: 30 + ((i * 37) % 121), terminateMs: 200 + ((i * 211) % 2801) });
  }
  for (let i = 0; i < 5; i++) pods.push({ namespace: 'kube-system', name: `daemon-${i}`, daemonSet: true });
  pods.push({ namespace: 'kube-system', name: `kube-proxy-${NODE}`, mirror: true });
  return pods;
}

/** The RBAC verb and resource the API server authorizes a request of the drain as. */
function rbacOf(method: string, url: string): string {
  const { pathname } = new URL(url, 'http://api');
  if (method === 'PATCH' && /^\/api\/v1\/nodes\/[^/]+$/.test(pathname)) return 'patch nodes';
  if (method === 'GET' && pathname === '/api/v1/pods') return 'list pods';
  if (method === 'POST' && /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/eviction$/.test(pathname)) return 'create pods/eviction';
  return `unexpected ${method} ${pathname}`;
}

interface Run {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

describe('drain script', () => {
  let dir: string;
  let state: string;
  let metadata: FakeMetadataServer;
  let port: number;
  let api: FakeApiServer;
  let apiPort: number;
  let runs: Run[];

  async function startApi(pods: FakePod[]): Promise<void> {
    await api.close();
    api = new FakeApiServer(pods);
    apiPort = await api.listen();
  }

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-drainer-'));
    state = path.join(dir, 'home');
    fs.mkdirSync(state);
    metadata = new FakeMetadataServer();
    port = await metadata.listen();
    api = new FakeApiServer(SMALL_NODE);
    apiPort = await api.listen();
    fs.writeFileSync(path.join(dir, 'token'), `${api.token}\n`);
    runs = [];
  });

  afterEach(async () => {
    // Kill each run's whole process group, even when bash itself has exited: a child it left
    // behind (a sleep, a curl) would otherwise outlive the test.
    for (const run of runs) {
      try {
        process.kill(-run.child.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
      await run.exited;
    }
    await metadata.close();
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The env the DaemonSet gives the container, with NODE_NAME resolved, HOME on the test's folder,
   * the URL on loopback, and the API server and token the pod would have.
   */
  function podEnv(props: NodeDrainerProps = {}): Record<string, string> {
    const container = synth({ metadataUrl: `http://127.0.0.1:${port}${PREEMPTED_PATH}`, ...props }).container;
    const env: Record<string, string> = {};
    for (const e of container.env) env[e.name] = e.valueFrom ? NODE : e.value;
    return { ...env, HOME: state, KUBE_API_URL: `http://127.0.0.1:${apiPort}`, KUBE_TOKEN_FILE: path.join(dir, 'token') };
  }

  function start(env: Record<string, string> = podEnv()): Run {
    let out = '';
    const child = spawn('bash', [DRAIN_FILE], {
      cwd: dir,
      detached: true, // its own process group, so that the test can kill it with its children
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        WATCH_TIMEOUT_SECONDS: '5',
        BACKOFF_INITIAL_SECONDS: '1',
        BACKOFF_MAX_SECONDS: '2',
        ...env,
      },
    });
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
    const run = { child, output: () => out, exited };
    runs.push(run);
    return run;
  }

  async function waitFor(what: string, run: Run, condition: () => boolean, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; drainer output:\n${run.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const running = (run: Run) => run.child.exitCode === null && run.child.signalCode === null;
  const count = (text: string, needle: string) => text.split(needle).length - 1;
  /** The cordon-and-taint patch: one strategic merge patch. */
  const PATCH = { spec: { unschedulable: true, taints: [{ key: 'mega8s.io/preempted', value: 'true', effect: 'NoSchedule' }] } };
  const accepted = () => api.evictions.filter(([, status]) => status === 201).map(([pod]) => pod).sort();

  test('no notice: reads the flag, then long-polls with its ETag, and never drains', async () => {
    const run = start();
    await waitFor('the long poll', run, () => metadata.holding === 1);
    expect(metadata.requests).toEqual([
      { url: PREEMPTED_PATH, flavor: 'Google' },
      { url: `${PREEMPTED_PATH}?wait_for_change=true&last_etag=1&timeout_sec=5`, flavor: 'Google' },
    ]);
    // The long poll times out without a change: the drainer polls again, still without draining.
    metadata.release();
    await waitFor('the next long poll', run, () => metadata.requests.length === 3 && metadata.holding === 1);
    expect(metadata.requests[2].url).toBe(`${PREEMPTED_PATH}?wait_for_change=true&last_etag=1&timeout_sec=5`);
    expect(api.requests).toEqual([]);
    expect(running(run)).toBe(true);
    expect(run.output()).toContain(`watching http://127.0.0.1:${port}${PREEMPTED_PATH} for the preemption notice of node ${NODE}`);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('received a termination signal: exiting');
    expect(api.requests).toEqual([]);
  });

  test('notice TRUE: cordons and taints the node, evicts its pods but DaemonSet, mirror and finished ones, once; a restarted container does not drain again', async () => {
    const run = start();
    await waitFor('the long poll', run, () => metadata.holding === 1);
    metadata.set('TRUE');
    await waitFor('the drain', run, () => run.output().includes('drained in'));
    // First the node: one strategic merge patch, sent with the ServiceAccount token.
    expect(api.requests[0]).toEqual({
      method: 'PATCH', url: `/api/v1/nodes/${NODE}`, authorization: `Bearer ${api.token}`,
      contentType: 'application/strategic-merge-patch+json', body: PATCH,
    });
    // Then the pods of this node that have not finished, from the watch cache.
    expect(api.calls('GET', '/api/v1/pods')[0].url)
      .toBe(`/api/v1/pods?resourceVersion=0&fieldSelector=spec.nodeName%3D${NODE}%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed`);
    // Evictions through the eviction API with the budget's grace period, each pod once.
    expect(api.evictions.map(([pod, status, grace]) => [pod, status, grace]).sort()).toEqual(EVICTED.map((pod) => [pod, 201, 15]));
    expect(api.calls('POST', '/api/v1/namespaces/shop/pods/worker-0/eviction')[0].body).toEqual({
      apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'worker-0', namespace: 'shop' }, deleteOptions: { gracePeriodSeconds: 15 },
    });
    // It waited for them to go, and left the others.
    expect(api.remaining.sort()).toEqual([...LEFT_ALONE].sort());
    // The ClusterRole grants exactly the requests the drain sent: each rule is used, nothing else is.
    const used = new Set(api.requests.map((r) => rbacOf(r.method, r.url)));
    expect([...used].sort()).toEqual(NODE_DRAINER_RULES.flatMap((rule) => rule.verbs.flatMap((verb) => rule.resources!.map((res) => `${verb} ${res}`))).sort());
    expect(run.output()).toContain(`preemption notice for node ${NODE}: cordoning and tainting it mega8s.io/preempted=true:NoSchedule, then evicting its pods (10 at a time, grace period 15s, timeout 25s)`);
    expect(run.output()).toContain('round 1: 2 pods left; evictions sent: 2, accepted 2, already gone 0');
    expect(fs.readFileSync(path.join(state, 'drained'), 'utf8')).toBe(`${NODE}\n`);
    // Idle from now on: it stops watching (there is nothing more to wait for).
    const seen = api.requests.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(metadata.requests).toHaveLength(2);
    expect(api.requests).toHaveLength(seen);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);

    // The kubelet restarts the container in the same pod: the marker on the emptyDir holds.
    const again = start();
    await waitFor('the restart', again, () => again.output().includes('already drained'));
    expect(again.output()).toContain(`node ${NODE} was already drained by this pod; idling until it shuts down`);
    await new Promise((r) => setTimeout(r, 1000));
    expect(metadata.requests).toHaveLength(2);
    expect(api.requests).toHaveLength(seen);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  test('the budget follows noticeSeconds', async () => {
    metadata.set('TRUE');
    const run = start(podEnv({ noticeSeconds: 120 }));
    await waitFor('the drain', run, () => run.output().includes('drained in'));
    expect(api.evictions.map(([, , grace]) => grace)).toEqual([60, 60]);
    expect(run.output()).toContain('(10 at a time, grace period 60s, timeout 115s)');
  });

  test('a notice already up when the drainer starts is acted on at once', async () => {
    metadata.set('TRUE');
    const run = start();
    await waitFor('the drain', run, () => run.output().includes('drained in'));
    expect(metadata.requests.map((r) => r.url)).toEqual([PREEMPTED_PATH]);
    expect(accepted()).toEqual(EVICTED);
  });

  test.each<[string, Behaviour | 'refused', string]>([
    ['the metadata server is down', 'refused', 'metadata request failed (curl exit 7, HTTP 000)'],
    ['it answers HTTP 503', 'http-503', 'metadata request failed (curl exit 22, HTTP 503)'],
    ['the answer is not from the metadata server', 'no-flavor-header', 'the answer lacks the header Metadata-Flavor: Google, so it is not from the metadata server'],
    ['the answer is neither TRUE nor FALSE', 'garbage', 'unexpected answer "<html>TRUE</html>": expected TRUE or FALSE'],
  ])('%s: retries with backoff, never drains, keeps running', async (_what, behaviour, reason) => {
    let url = `http://127.0.0.1:${port}${PREEMPTED_PATH}`;
    if (behaviour === 'refused') {
      // A port nothing listens on: take one from the OS and give it back.
      const probe = http.createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const closed = (probe.address() as AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      url = `http://127.0.0.1:${closed}${PREEMPTED_PATH}`;
    } else {
      metadata.behaviour = behaviour;
    }
    const run = start({ ...podEnv(), METADATA_URL: url });
    await waitFor('three retries', run, () => count(run.output(), 'retrying in') >= 3);
    const out = run.output();
    expect(out).toContain(`${reason}; retrying in 1s (no drain without a notice)`);
    expect(out).toContain(`${reason}; retrying in 2s (no drain without a notice)`);
    // The backoff doubles up to its maximum (2 s here): 1, 2, 2.
    expect(out.match(/retrying in \d+s/g)!.slice(0, 3)).toEqual(['retrying in 1s', 'retrying in 2s', 'retrying in 2s']);
    expect(api.requests).toEqual([]);
    expect(running(run)).toBe(true);
  });

  test('recovers when the metadata server comes back, and drains on the notice that follows', async () => {
    metadata.behaviour = 'http-503';
    const run = start();
    await waitFor('a retry', run, () => count(run.output(), 'retrying in') >= 1);
    metadata.behaviour = 'normal';
    await waitFor('the long poll', run, () => metadata.holding === 1);
    expect(api.requests).toEqual([]);
    metadata.set('TRUE');
    await waitFor('the drain', run, () => run.output().includes('drained in'));
    expect(accepted()).toEqual(EVICTED);
  });

  test('evictions the server keeps refusing fail the drain at its timeout: exit 1, no marker, so that the restarted container drains again', async () => {
    api.failEvictions = true;
    metadata.set('TRUE');
    const run = start({ ...podEnv(), DRAIN_TIMEOUT_SECONDS: '2' });
    expect(await run.exited).toBe(1);
    expect(api.evictions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(api.evictions.map(([pod]) => pod))).toEqual(new Set(EVICTED));
    expect(run.output()).toContain('eviction of shop/worker-0 failed (HTTP 500); trying again');
    // curl's own progress meter stays off, in parallel mode too.
    expect(run.output()).not.toContain('Xfers');
    expect(run.output()).toContain(`error: draining node ${NODE} failed: 2 pods still on it after 2s (first: shop/web-7d9f-abcde shop/worker-0); an eviction may be blocked by a PodDisruptionBudget, or the API server refused; exiting so that the container restarts and drains again`);
    expect(fs.existsSync(path.join(state, 'drained'))).toBe(false);
  });

  test('a failed cordon-and-taint is a warning: the evictions still run', async () => {
    api.failPatch = true;
    metadata.set('TRUE');
    const run = start();
    await waitFor('the drain', run, () => run.output().includes('drained in'));
    expect(api.calls('PATCH', '/api/v1/nodes/')).toHaveLength(1);
    expect(accepted()).toEqual(EVICTED);
    expect(run.output()).toContain(`warning: cordoning and tainting node ${NODE} failed (HTTP 500); evicting its pods anyway`);
  });

  test('an API server that rejects the token: nothing is evicted and the drain fails', async () => {
    fs.writeFileSync(path.join(dir, 'token'), 'not-the-token\n');
    metadata.set('TRUE');
    const run = start({ ...podEnv(), DRAIN_TIMEOUT_SECONDS: '2' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('cordoning and tainting node gke-pool-spot-1a2b failed (HTTP 401)');
    expect(run.output()).toContain('listing the pods of node gke-pool-spot-1a2b failed (HTTP 401); trying again');
    expect(api.evictions).toEqual([]);
  });

  test('PodDisruptionBudgets hold: a refused eviction (429) is retried until the budget allows it', async () => {
    await startApi([
      { namespace: 'shop', name: 'checkout-0', pdb: 'checkout', terminateMs: 100 },
      { namespace: 'shop', name: 'checkout-1', pdb: 'checkout', terminateMs: 100 },
      { namespace: 'shop', name: 'checkout-2', pdb: 'checkout', terminateMs: 100 },
      { namespace: 'shop', name: 'cart-0', terminateMs: 100 },
    ]);
    api.pdbRecoverMs = 1200;
    metadata.set('TRUE');
    const run = start();
    await waitFor('the drain', run, () => run.output().includes('drained in'));
    const answers = (pod: string) => api.evictions.filter(([p]) => p === pod).map(([, status]) => status);
    // One of the three went first; each of the others was refused at least once, then accepted.
    expect(api.evictions.filter(([p, status]) => p.startsWith('shop/checkout') && status === 201)).toHaveLength(3);
    expect(api.evictions.filter(([, status]) => status === 429).length).toBeGreaterThanOrEqual(2);
    for (const pod of ['shop/checkout-0', 'shop/checkout-1', 'shop/checkout-2']) expect(answers(pod).at(-1)).toBe(201);
    expect(answers('shop/cart-0')).toEqual([201]);
    expect(run.output()).toMatch(/round 1: 4 pods left; evictions sent: 4, accepted \d, already gone 0, refused for now \(429: a PodDisruptionBudget or the server's rate limit\) \d, failed 0/);
    expect(api.remaining).toEqual([]);
  });

  test('SIGTERM during the drain does not cut it short', async () => {
    api.holdEvictions();
    metadata.set('TRUE');
    const run = start();
    await waitFor('the evictions to start', run, () => api.calls('POST', '/api/v1/namespaces/').length === 2);
    run.child.kill('SIGTERM');
    await waitFor('the signal', run, () => run.output().includes('finishing the drain'));
    expect(running(run)).toBe(true);
    api.release();
    await waitFor('the drain', run, () => run.output().includes('drained in'));
    expect(run.output()).toContain(`received a termination signal while draining node ${NODE}: finishing the drain`);
    expect(accepted()).toEqual(EVICTED);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  test(`a node at GKE's 110-pod maximum drains inside the notice, ${10} evictions at a time`, async () => {
    await startApi(fullNode());
    api.pdbRecoverMs = 1500;
    api.throttleEvery = 13;
    metadata.set('TRUE');
    const budget = drainBudget(30).timeoutSeconds;
    const began = Date.now();
    const run = start();
    await waitFor('the drain', run, () => run.output().includes('drained in'), budget * 1000 + 5000);
    const seconds = (Date.now() - began) / 1000;
    // Every workload pod went, each was accepted once; DaemonSet and mirror pods stayed.
    expect(accepted()).toHaveLength(104);
    expect(new Set(accepted()).size).toBe(104);
    expect(api.remaining.sort()).toEqual([...['daemon-0', 'daemon-1', 'daemon-2', 'daemon-3', 'daemon-4'], `kube-proxy-${NODE}`].map((n) => `kube-system/${n}`).sort());
    // Some were refused (rate limit, budgets) and retried.
    expect(api.evictions.filter(([, status]) => status === 429).length).toBeGreaterThan(8);
    // In parallel, but never more than the bound (how close it gets depends on the machine's load).
    expect(api.maxInFlight).toBeLessThanOrEqual(10);
    expect(api.maxInFlight).toBeGreaterThanOrEqual(4);
    // Inside the budget: the drain's timeout for GKE's 30 s notice (25 s).
    expect(seconds).toBeLessThan(budget);
    const reported = Number(/drained in (\d+\.\d) s/.exec(run.output())![1]);
    expect(reported).toBeLessThan(budget);
    process.stdout.write(`node-drainer: 110-pod node drained in ${reported} s by the script (${seconds.toFixed(1)} s from the notice), budget ${budget} s\n`);
  });

  test('EVICTION_CONCURRENCY bounds the evictions in flight', async () => {
    await startApi(Array.from({ length: 12 }, (_, i) => ({ namespace: 'shop', name: `p-${i}`, evictMs: 150 })));
    metadata.set('TRUE');
    const run = start({ ...podEnv(), EVICTION_CONCURRENCY: '3' });
    await waitFor('the drain', run, () => run.output().includes('drained in'));
    expect(api.maxInFlight).toBeLessThanOrEqual(3);
    expect(api.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(accepted()).toHaveLength(12);
    expect(run.output()).toContain('(3 at a time, grace period 15s, timeout 25s)');
  });

  test.each<[string, Record<string, string | undefined>, string]>([
    ['NODE_NAME missing', { NODE_NAME: undefined }, 'error: NODE_NAME is not set: expected the name of this node (downward API spec.nodeName)'],
    ['DRAIN_TIMEOUT_SECONDS missing', { DRAIN_TIMEOUT_SECONDS: undefined }, 'error: DRAIN_TIMEOUT_SECONDS is not set'],
    ['a duration with a unit', { DRAIN_TIMEOUT_SECONDS: '25s' }, 'error: DRAIN_TIMEOUT_SECONDS="25s" is not a whole number of seconds'],
    ['a zero grace period', { DRAIN_GRACE_SECONDS: '0' }, 'error: DRAIN_GRACE_SECONDS=0 is below 1'],
    ['no eviction concurrency', { EVICTION_CONCURRENCY: '0' }, 'error: EVICTION_CONCURRENCY=0 is below 1'],
    ['a URL with a query', { METADATA_URL: 'http://127.0.0.1:1/preempted?x=1' }, 'error: METADATA_URL="http://127.0.0.1:1/preempted?x=1" has a query: the drainer adds its own'],
    ['a state folder that does not exist', { HOME: '/nonexistent/node-drainer' }, 'error: DRAINER_STATE_DIR="/nonexistent/node-drainer" is not a writable folder'],
    ['no API server outside a pod', { KUBE_API_URL: undefined }, 'error: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: expected to run in a pod (or KUBE_API_URL)'],
    ['an API server URL that is not http(s)', { KUBE_API_URL: 'ftp://127.0.0.1' }, 'error: KUBE_API_URL="ftp://127.0.0.1" is not an http(s) URL'],
    ['no token', { KUBE_TOKEN_FILE: '/nonexistent/token' }, 'error: KUBE_TOKEN_FILE="/nonexistent/token" is not a readable file: expected the ServiceAccount token'],
    ['an https API server without its CA', { KUBE_API_URL: 'https://127.0.0.1:6443', KUBE_CA_FILE: '/nonexistent/ca.crt' }, 'error: KUBE_CA_FILE="/nonexistent/ca.crt" is not a readable file: expected the API server\'s CA'],
  ])('refuses to start with %s (exit 2)', async (_what, change, message) => {
    const env = { ...podEnv(), ...change };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const run = start(env as Record<string, string>);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(message);
    expect(metadata.requests).toEqual([]);
    expect(api.requests).toEqual([]);
  });

  test('in a pod it finds the API server from KUBERNETES_SERVICE_HOST and _PORT, brackets for IPv6', async () => {
    const base = podEnv();
    delete (base as Record<string, string | undefined>).KUBE_API_URL;
    metadata.set('TRUE');
    const run = start({ ...base, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(apiPort), KUBE_CA_FILE: path.join(dir, 'token') });
    // https to a plain-http server fails at TLS: the drain logs HTTP 000 and does not evict.
    await waitFor('the failed patch', run, () => run.output().includes('failed (HTTP 000)'));
    expect(api.requests).toEqual([]);
    run.child.kill('SIGKILL');
    const v6 = start({ ...base, KUBERNETES_SERVICE_HOST: '::1', KUBERNETES_SERVICE_PORT: '1', KUBE_CA_FILE: path.join(dir, 'token'), DRAIN_TIMEOUT_SECONDS: '1' });
    expect(await v6.exited).toBe(1);
    expect(v6.output()).toContain('failed (HTTP 000)');
  });
});
