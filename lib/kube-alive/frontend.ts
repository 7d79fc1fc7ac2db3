/**
 * The kube-alive frontend: serves the page and proxies
 * - `/getip`, `/cpuhog`, `/healthcheck/*`, `/incver/*` to the four Services, and
 * - exactly `GET /api/v1/namespaces/<own namespace>/pods` (list and `?watch=1`) to the Kubernetes API,
 *   with the ServiceAccount token read per request.
 * Every other `/api` or `/apis` path is refused with 403, whatever the ServiceAccount may do.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { pathOf, Program, sendError, sendJson } from './http';
import { KubeAccess, kubeRequest } from './kube';

export const EXPERIMENTS = ['getip', 'healthcheck', 'cpuhog', 'incver'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

export interface FrontendOptions {
  /** The folder holding the built page: index.html, app.js, app.css, favicon.svg (see page.ts). */
  readonly pageDir: string;
  /** Where each experiment's Service answers. */
  readonly upstreams: Readonly<Record<Experiment, URL>>;
  readonly kube: KubeAccess;
  /** How long a proxied experiment request may take. @default 15000 */
  readonly upstreamTimeoutMs?: number;
}

/** `GETIP_URL`, `HEALTHCHECK_URL`, … else the Service's name in the pod's own namespace (`http://getip`). */
export function upstreamsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<Experiment, URL> {
  const out = {} as Record<Experiment, URL>;
  for (const name of EXPERIMENTS) {
    const key = `${name.toUpperCase()}_URL`;
    const value = env[key] || `http://${name}`;
    const url = new URL(value);
    if (url.protocol !== 'http:') throw new Error(`kube-alive frontend: ${key} ${value} is not an http:// URL`);
    out[name] = url;
  }
  return out;
}

const PAGE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** The page loads only its own script and styles and talks only to this server. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The query parameters of a pod list or watch that the page may send; anything else is refused. */
const POD_QUERY = new Set(['labelSelector', 'watch', 'resourceVersion', 'resourceVersionMatch', 'allowWatchBookmarks', 'timeoutSeconds', 'limit', 'continue']);

/** Request headers passed on to an experiment (hop-by-hop headers, cookies and the host stay behind). */
const FORWARDED = ['accept', 'content-type', 'content-length', 'user-agent'];

export function frontend(options: FrontendOptions): Program {
  const timeoutMs = options.upstreamTimeoutMs ?? 15_000;
  const podsPath = `/api/v1/namespaces/${options.kube.namespace}/pods`;
  const page = new Map<string, { body: Buffer; type: string }>();
  for (const [route, { file, type }] of Object.entries(PAGE_FILES)) {
    const full = path.join(options.pageDir, file);
    if (!fs.existsSync(full)) throw new Error(`kube-alive frontend: ${full} is missing; build the page first (npm run kube-alive:page)`);
    page.set(route, { body: fs.readFileSync(full), type });
  }
  const config = Buffer.from(`${JSON.stringify({ namespace: options.kube.namespace, experiments: EXPERIMENTS })}\n`);

  const proxy = (req: http.IncomingMessage, res: http.ServerResponse, target: URL, upstreamPath: string): void => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const h of FORWARDED) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    const out = http.request({
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || 80,
      method: req.method,
      path: upstreamPath,
      headers,
      timeout: timeoutMs,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, {
        'content-type': answer.headers['content-type'] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      answer.pipe(res);
    });
    out.on('timeout', () => out.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    out.on('error', (err) => {
      if (!res.headersSent) sendError(res, 502, `${target.host}: ${err.message}`);
      else res.destroy();
    });
    res.on('close', () => { if (!res.writableFinished) out.destroy(); });
    req.pipe(out);
  };

  /** Open watch streams, ended when the server drains. */
  const watches = new Set<http.ServerResponse>();

  const refuse = (res: http.ServerResponse, why: string): void => {
    sendJson(res, 403, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: `kube-alive frontend: ${why}` });
  };

  const kube = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const raw = req.url ?? '/';
    const p = pathOf(req);
    // The raw path must be exactly the pod collection of our namespace: no dot segments, no
    // encodings, no trailing slash, no sub-resources. The upstream path is rebuilt from our own
    // strings, never copied from the request.
    if (p !== podsPath) return refuse(res, `${req.method} ${p} is not the pod list of namespace ${options.kube.namespace}`);
    if (req.method !== 'GET') return refuse(res, `${req.method} ${p}: only GET (list and watch) is proxied`);
    const query = new URLSearchParams(raw.slice(p.length + 1));
    const forwarded = new URLSearchParams();
    for (const [key, value] of query) {
      if (!POD_QUERY.has(key)) return refuse(res, `query parameter ${key} is not proxied`);
      forwarded.append(key, value);
    }
    const qs = forwarded.toString();
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    kubeRequest(options.kube, { method: 'GET', path: qs ? `${podsPath}?${qs}` : podsPath, signal: abort.signal }).then((answer) => {
      res.writeHead(answer.statusCode ?? 502, {
        'content-type': answer.headers['content-type'] ?? 'application/json',
        'cache-control': 'no-store',
        // Tell buffering reverse proxies in front of us to pass watch events on at once.
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      if (forwarded.has('watch')) {
        watches.add(res);
        res.on('close', () => watches.delete(res));
      }
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    }, (err: Error) => {
      if (abort.signal.aborted) return;
      sendError(res, 502, `kubernetes api: ${err.message}`);
    });
  };

  return {
    name: 'frontend',
    drain() {
      for (const res of watches) res.end();
    },
    handle(req, res) {
      const p = pathOf(req);
      const raw = req.url ?? '/';
      const query = raw.slice(p.length);
      if (p === '/api' || p === '/apis' || p.startsWith('/api/') || p.startsWith('/apis/')) return kube(req, res);
      for (const name of EXPERIMENTS) {
        const prefix = `/${name}`;
        if (p === prefix) return proxy(req, res, options.upstreams[name], `/${query}`);
        if (p.startsWith(`${prefix}/`)) return proxy(req, res, options.upstreams[name], `${p.slice(prefix.length)}${query}`);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, `${req.method} ${p} is not allowed`);
      if (p === '/config.json') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(config);
        return;
      }
      const file = page.get(p);
      if (!file) return sendError(res, 404, `no ${p}`);
      res.writeHead(200, {
        'content-type': file.type,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'content-security-policy': CONTENT_SECURITY_POLICY,
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    },
  };
}
