/**
 * The four experiments of kube-alive, each a Program for `serve` (http.ts):
 * - getip: answers with the pod's name and IP — load balancing across replicas;
 * - healthcheck: live until infected — the liveness probe fails and the kubelet restarts it;
 * - cpuhog: burns CPU for a bounded time per request — the HPA scales it;
 * - incver: reports its version and patches its own Deployment to the next image tag — a rolling update.
 */
import * as os from 'os';
import { allowMethods, pathOf, Program, sendError, sendJson } from './http';
import { KubeAccess, kubeJson } from './kube';

export interface Identity {
  /** The pod name (downward API `metadata.name` as POD_NAME; the hostname outside a pod). */
  readonly pod: string;
  /** The pod IP (downward API `status.podIP` as POD_IP; the first external IPv4 outside a pod). */
  readonly ip: string;
}

export function identityFromEnv(env: NodeJS.ProcessEnv = process.env): Identity {
  const pod = env.POD_NAME || os.hostname();
  let ip = env.POD_IP;
  if (!ip) {
    const addresses = Object.values(os.networkInterfaces()).flat().filter((a) => a !== undefined);
    ip = (addresses.find((a) => a.family === 'IPv4' && !a.internal) ?? addresses.find((a) => a.family === 'IPv4'))?.address ?? '127.0.0.1';
  }
  return { pod, ip };
}

function notFound(req: { method?: string; url?: string }, res: Parameters<typeof sendError>[0], program: string): void {
  sendError(res, 404, `${program} has no ${req.method} ${req.url}`);
}

export function getip(identity: Identity): Program {
  return {
    name: 'getip',
    handle(req, res) {
      if (pathOf(req) !== '/') return notFound(req, res, 'getip');
      if (!allowMethods(req, res, 'GET')) return;
      sendJson(res, 200, { program: 'getip', pod: identity.pod, ip: identity.ip });
    },
  };
}

export interface HealthcheckOptions {
  /** What `/kill` does after answering. @default process.exit(1) */
  readonly kill?: () => void;
  /** Where state changes are logged. @default console.log */
  readonly log?: (line: string) => void;
}

/** Healthy until `/infect`; `/cure` heals it; `/kill` ends the process (the kubelet restarts it). */
export function healthcheck(identity: Identity, options: HealthcheckOptions = {}): Program & { healthy(): boolean } {
  let healthy = true;
  const kill = options.kill ?? (() => process.exit(1));
  const log = options.log ?? console.log;
  const answer = (res: Parameters<typeof sendJson>[0], extra: object = {}): void =>
    sendJson(res, 200, { program: 'healthcheck', pod: identity.pod, healthy, ...extra });
  return {
    name: 'healthcheck',
    healthy: () => healthy,
    live: () => healthy,
    handle(req, res) {
      const path = pathOf(req);
      if (path === '/') {
        if (allowMethods(req, res, 'GET')) answer(res);
        return;
      }
      if (path !== '/infect' && path !== '/cure' && path !== '/kill') return notFound(req, res, 'healthcheck');
      if (!allowMethods(req, res, 'POST')) return;
      if (path === '/infect') {
        healthy = false;
        log(`healthcheck ${identity.pod}: infected; /healthz now answers 500`);
        answer(res);
      } else if (path === '/cure') {
        healthy = true;
        log(`healthcheck ${identity.pod}: cured`);
        answer(res);
      } else {
        log(`healthcheck ${identity.pod}: killed on request`);
        res.on('finish', () => setImmediate(kill));
        answer(res, { killed: true });
      }
    },
  };
}

export interface CpuhogOptions {
  /** Busy time of a request without `?ms=`. @default 500 */
  readonly defaultMs?: number;
  /** The most a request may ask for. @default 2000 */
  readonly maxMs?: number;
  /** Slice length: between slices the event loop runs, so probes keep answering while busy. @default 25 */
  readonly sliceMs?: number;
}

/** Keeps one CPU busy for `ms` (bounded) per request: `GET /?ms=800`. */
export function cpuhog(identity: Identity, options: CpuhogOptions = {}): Program {
  const defaultMs = options.defaultMs ?? 500;
  const maxMs = options.maxMs ?? 2000;
  const sliceMs = options.sliceMs ?? 25;
  for (const [name, value] of [['defaultMs', defaultMs], ['maxMs', maxMs], ['sliceMs', sliceMs]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`cpuhog: ${name} ${value} is not a positive integer of milliseconds`);
  }
  if (defaultMs > maxMs) throw new Error(`cpuhog: defaultMs ${defaultMs} is above maxMs ${maxMs}`);
  return {
    name: 'cpuhog',
    async handle(req, res) {
      if (pathOf(req) !== '/') return notFound(req, res, 'cpuhog');
      if (!allowMethods(req, res, 'GET', 'POST')) return;
      const asked = new URL(req.url ?? '/', 'http://cpuhog').searchParams.get('ms');
      const ms = asked === null ? defaultMs : Number(asked);
      if (!Number.isInteger(ms) || ms < 1 || ms > maxMs) {
        sendError(res, 400, `ms ${asked} is not an integer between 1 and ${maxMs}`);
        return;
      }
      let closed = false;
      res.on('close', () => { closed = true; });
      const start = performance.now();
      let spins = 0;
      while (!closed && performance.now() - start < ms) {
        const sliceEnd = Math.min(start + ms, performance.now() + sliceMs);
        while (performance.now() < sliceEnd) spins++;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (closed) return;
      sendJson(res, 200, { program: 'cpuhog', pod: identity.pod, busyMs: Math.round(performance.now() - start), spins });
    },
  };
}

/**
 * The next image tag: the last number in the tag goes up by one (`1` -> `2`, `v1.2.9` -> `v1.2.10`,
 * `2.0-alpine` -> `2.1-alpine`). An image pinned by digest or a tag without a number has no next tag.
 */
export class ImageError extends Error {}

export function nextImage(image: string): string {
  if (image.includes('@')) throw new ImageError(`image ${image} is pinned by digest; expected a tag to increment`);
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon <= slash) throw new ImageError(`image ${image} has no tag; expected <repository>:<tag> with a number in the tag`);
  const repo = image.slice(0, colon);
  const tag = image.slice(colon + 1);
  const m = /^(.*?)(\d+)(\D*)$/.exec(tag);
  if (!m) throw new ImageError(`image ${image}: tag ${tag} has no number to increment`);
  return `${repo}:${m[1]}${BigInt(m[2]) + 1n}${m[3]}`;
}

export interface IncverOptions {
  /** The version this build reports (baked into the image as KUBE_ALIVE_VERSION). */
  readonly version: string;
  readonly kube: KubeAccess;
  /** The Deployment that runs incver. @default incver */
  readonly deployment?: string;
  /** The container in it whose image rolls. @default incver */
  readonly container?: string;
  /** Where rollouts are logged. @default console.log */
  readonly log?: (line: string) => void;
}

interface DeploymentView {
  spec?: { template?: { spec?: { containers?: { name: string; image?: string }[] } } };
}

/** `GET /` reports the version; `POST /next` rolls its own Deployment to the next image tag. */
export function incver(identity: Identity, options: IncverOptions): Program {
  const deployment = options.deployment ?? 'incver';
  const container = options.container ?? 'incver';
  const path = `/apis/apps/v1/namespaces/${options.kube.namespace}/deployments/${encodeURIComponent(deployment)}`;
  return {
    name: 'incver',
    async handle(req, res) {
      const p = pathOf(req);
      if (p === '/') {
        if (allowMethods(req, res, 'GET')) sendJson(res, 200, { program: 'incver', pod: identity.pod, version: options.version });
        return;
      }
      if (p !== '/next') return notFound(req, res, 'incver');
      if (!allowMethods(req, res, 'POST')) return;
      try {
        const current = await kubeJson<DeploymentView>(options.kube, { method: 'GET', path });
        const image = current.spec?.template?.spec?.containers?.find((c) => c.name === container)?.image;
        if (!image) throw new ImageError(`deployment ${deployment} has no container ${container} with an image`);
        const next = nextImage(image);
        // A strategic merge patch merges containers by name: only this container's image changes.
        await kubeJson(options.kube, {
          method: 'PATCH',
          path,
          headers: { 'content-type': 'application/strategic-merge-patch+json' },
          body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: container, image: next }] } } } }),
        });
        (options.log ?? console.log)(`incver ${identity.pod}: rolling ${deployment} from ${image} to ${next}`);
        sendJson(res, 200, { program: 'incver', pod: identity.pod, version: options.version, from: image, to: next });
      } catch (err) {
        const status = err instanceof ImageError ? 409 : 502;
        sendError(res, status, (err as Error).message);
      }
    },
  };
}
