/**
 * What every kube-alive program shares: an HTTP server on node's http module with the two probe
 * endpoints the kubelet calls (`/healthz` for liveness, `/readyz` for readiness), small JSON helpers,
 * and a graceful shutdown for SIGTERM (stop being ready, stop accepting, let requests in flight
 * finish, then close what is left).
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface Program {
  /** The program's name as it appears in logs and answers (`getip`, `healthcheck`, …). */
  readonly name: string;
  /** Answers every request except the probes. */
  readonly handle: Handler;
  /** Liveness: false makes `/healthz` answer 500, so that the kubelet restarts the container. @default always live */
  readonly live?: () => boolean;
  /** Called when shutdown begins: end long-lived streams (watches) so that clients go elsewhere. */
  readonly drain?: () => void;
  /** Called once when the server has stopped (to end timers or streams the program holds). */
  readonly stop?: () => void;
}

export interface ServeOptions {
  /** @default 0.0.0.0 */
  readonly host?: string;
  /** 0 picks a free port. @default 8080 */
  readonly port?: number;
  /** How long requests in flight may take after SIGTERM before their connections are closed. @default 10000 */
  readonly drainMs?: number;
}

export interface Running {
  readonly server: http.Server;
  readonly port: number;
  /** `http://<host>:<port>` */
  readonly url: string;
  /** True until shutdown begins. */
  ready(): boolean;
  /** Graceful stop; resolves when the server is closed. Calling it again returns the same promise. */
  shutdown(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

/** The path of a request without its query string. */
export function pathOf(req: http.IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Accepts only `methods`; answers 405 with an Allow header otherwise and returns false. */
export function allowMethods(req: http.IncomingMessage, res: http.ServerResponse, ...methods: string[]): boolean {
  if (methods.includes(req.method ?? '')) return true;
  res.setHeader('allow', methods.join(', '));
  sendError(res, 405, `${req.method} is not allowed here; use ${methods.join(' or ')}`);
  return false;
}

export function serve(program: Program, options: ServeOptions = {}): Promise<Running> {
  const host = options.host ?? '0.0.0.0';
  const drainMs = options.drainMs ?? 10_000;
  let draining = false;
  let stopping: Promise<void> | undefined;

  const server = http.createServer((req, res) => {
    if (draining) res.setHeader('connection', 'close');
    // A keep-alive connection whose last request ends during the drain is closed right away.
    res.on('finish', () => { if (draining) setImmediate(() => server.closeIdleConnections()); });
    const path = pathOf(req);
    if (path === '/healthz') {
      const live = program.live ? program.live() : true;
      sendJson(res, live ? 200 : 500, { program: program.name, live });
      return;
    }
    if (path === '/readyz') {
      sendJson(res, draining ? 503 : 200, { program: program.name, ready: !draining });
      return;
    }
    Promise.resolve()
      .then(() => program.handle(req, res))
      .catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        if (!res.headersSent) sendError(res, 500, message);
        else res.destroy();
      });
  });
  // Keep-alive connections from the frontend's proxy stay open between requests; close idle ones
  // well before a load balancer would reuse a half-closed socket.
  server.keepAliveTimeout = 5_000;

  const shutdown = (): Promise<void> => {
    if (stopping) return stopping;
    draining = true;
    program.drain?.();
    stopping = new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), drainMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        program.stop?.();
        resolve();
      });
      server.closeIdleConnections();
    });
    return stopping;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({ server, port, url: `http://${shown}:${port}`, ready: () => !draining, shutdown });
    });
  });
}
