/**
 * A small stand-in for the Kubernetes API server, for the tests: the pod list and watch of one
 * namespace (events pushed by the test), GET and strategic-merge PATCH of Deployments (the image of
 * a container, merged by name), bearer-token checking, and a record of every request it saw.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { KubePod } from './web/pods';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly token: string;
  readonly contentType?: string;
  readonly body: string;
}

interface Deployment {
  metadata: { name: string; namespace: string };
  spec: { template: { spec: { containers: { name: string; image: string }[] } } };
}

export class FakeKube {
  readonly seen: SeenRequest[] = [];
  /** The bearer token the fake accepts; others get 401. */
  token: string;
  private readonly pods = new Map<string, KubePod>();
  private readonly deployments = new Map<string, Deployment>();
  private readonly watchers = new Set<http.ServerResponse>();
  private revision = 100;
  private server?: http.Server;

  constructor(readonly namespace: string, token: string) {
    this.token = token;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.answer(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.destroy();
    this.watchers.clear();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Open watch streams right now. */
  get watching(): number {
    return this.watchers.size;
  }

  /** The resourceVersion of the latest change. */
  get resourceVersion(): string {
    return String(this.revision);
  }

  /** Ends every open watch, as the API server does when a watch times out. */
  endWatches(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  /** Adds (or replaces) a pod and tells every watcher. */
  put(pod: KubePod): void {
    const type = this.pods.has(pod.metadata.name) ? 'MODIFIED' : 'ADDED';
    const stored = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(++this.revision) } };
    this.pods.set(pod.metadata.name, stored);
    this.broadcast({ type, object: stored });
  }

  remove(name: string): void {
    const pod = this.pods.get(name);
    if (!pod) return;
    this.pods.delete(name);
    this.broadcast({ type: 'DELETED', object: { ...pod, metadata: { ...pod.metadata, resourceVersion: String(++this.revision) } } });
  }

  putDeployment(name: string, containers: { name: string; image: string }[]): void {
    this.deployments.set(name, { metadata: { name, namespace: this.namespace }, spec: { template: { spec: { containers } } } });
  }

  deployment(name: string): Deployment | undefined {
    return this.deployments.get(name);
  }

  private broadcast(event: object): void {
    const line = `${JSON.stringify(event)}\n`;
    for (const w of this.watchers) w.write(line);
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    this.seen.push({ method: req.method ?? '', url: req.url ?? '', token, contentType: req.headers['content-type'], body });
    const status = (code: number, message: string): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, message }));
    };
    if (token !== this.token) return status(401, 'Unauthorized');
    if (url.pathname === `/api/v1/namespaces/${this.namespace}/pods` && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') {
        res.flushHeaders();
        const since = Number(url.searchParams.get('resourceVersion') ?? '0');
        for (const pod of this.pods.values()) {
          if (Number(pod.metadata.resourceVersion) > since) res.write(`${JSON.stringify({ type: 'ADDED', object: pod })}\n`);
        }
        this.watchers.add(res);
        res.on('close', () => this.watchers.delete(res));
        return;
      }
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(this.revision) }, items: [...this.pods.values()] }));
      return;
    }
    const deployment = new RegExp(`^/apis/apps/v1/namespaces/${this.namespace}/deployments/([^/]+)$`).exec(url.pathname);
    if (deployment) {
      const d = this.deployments.get(decodeURIComponent(deployment[1]));
      if (!d) return status(404, `deployments.apps "${deployment[1]}" not found`);
      if (req.method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/strategic-merge-patch+json') return status(415, 'unsupported patch type');
        const patch = JSON.parse(body) as Deployment;
        for (const c of patch.spec.template.spec.containers) {
          const target = d.spec.template.spec.containers.find((t) => t.name === c.name);
          if (target) target.image = c.image;
          else d.spec.template.spec.containers.push(c);
        }
      } else if (req.method !== 'GET') {
        return status(405, 'method not allowed');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(d));
      return;
    }
    status(404, `the fake API has no ${req.method} ${url.pathname}`);
  }
}

/** A pod as the API reports a running one; `ready: false` leaves the Ready condition False. */
export function podFixture(name: string, experiment: string, options: { image?: string; ip?: string; restarts?: number; ready?: boolean } = {}): KubePod {
  const ready = options.ready ?? true;
  return {
    metadata: { name, labels: { 'app.kubernetes.io/name': experiment } },
    spec: { containers: [{ name: experiment, image: options.image ?? `registry.example/kube-alive:1` }] },
    status: {
      phase: 'Running',
      podIP: options.ip ?? '10.0.0.1',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: experiment, ready, restartCount: options.restarts ?? 0, state: {} }],
    },
  };
}
