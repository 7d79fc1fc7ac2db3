/**
 * Talking to the Kubernetes API from inside a pod: the projected ServiceAccount token, CA and
 * namespace at their standard paths (each overridable, for tests and for running outside a
 * cluster), the API server's address from the Service environment variables the kubelet sets.
 *
 * The token is read from disk on EVERY request: the kubelet rotates the projected token (hourly by
 * default, and the old one expires), so a token read once at start stops working.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeAccess {
  /** The API server, `https://<host>:<port>` (http is accepted for tests against a local fake). */
  readonly apiUrl: URL;
  readonly tokenFile: string;
  /** The cluster CA bundle that signs the API server's certificate; used for https. */
  readonly caFile: string;
  /** The namespace the pod runs in. */
  readonly namespace: string;
}

/**
 * Reads the settings from the environment:
 * - `KUBE_API_URL`, else `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`;
 * - `KUBE_TOKEN_FILE`, `KUBE_CA_FILE`, else `token` and `ca.crt` in the ServiceAccount directory;
 * - `POD_NAMESPACE` (the downward API), else the `namespace` file next to the token (`KUBE_NAMESPACE_FILE`).
 */
export function kubeAccessFromEnv(env: NodeJS.ProcessEnv = process.env): KubeAccess {
  let apiUrl: URL;
  if (env.KUBE_API_URL) {
    apiUrl = new URL(env.KUBE_API_URL);
    if (apiUrl.protocol !== 'https:' && apiUrl.protocol !== 'http:') {
      throw new Error(`kube-alive: KUBE_API_URL ${env.KUBE_API_URL} is not an http(s) URL`);
    }
  } else if (env.KUBERNETES_SERVICE_HOST) {
    const host = env.KUBERNETES_SERVICE_HOST.includes(':') ? `[${env.KUBERNETES_SERVICE_HOST}]` : env.KUBERNETES_SERVICE_HOST;
    apiUrl = new URL(`https://${host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`);
  } else {
    throw new Error('kube-alive: neither KUBE_API_URL nor KUBERNETES_SERVICE_HOST is set; expected to run in a pod or to be given the API server');
  }
  const tokenFile = env.KUBE_TOKEN_FILE ?? path.join(SERVICE_ACCOUNT_DIR, 'token');
  const caFile = env.KUBE_CA_FILE ?? path.join(SERVICE_ACCOUNT_DIR, 'ca.crt');
  let namespace = env.POD_NAMESPACE;
  if (!namespace) {
    const file = env.KUBE_NAMESPACE_FILE ?? path.join(SERVICE_ACCOUNT_DIR, 'namespace');
    try {
      namespace = fs.readFileSync(file, 'utf8').trim();
    } catch {
      throw new Error(`kube-alive: POD_NAMESPACE is not set and ${file} cannot be read; expected the pod's namespace`);
    }
  }
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new Error(`kube-alive: namespace "${namespace}" is not a DNS-1123 label`);
  }
  return { apiUrl, tokenFile, caFile, namespace };
}

export interface KubeRequest {
  readonly method: string;
  /** Path and query, starting with `/`. */
  readonly path: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: string;
  /** Abandons the request (and a watch stream) when aborted. */
  readonly signal?: AbortSignal;
}

/** Sends one request with the current token; resolves with the response as it starts (streams stay open). */
export function kubeRequest(access: KubeAccess, request: KubeRequest): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let token: string;
    try {
      token = fs.readFileSync(access.tokenFile, 'utf8').trim();
    } catch (err) {
      reject(new Error(`kube-alive: cannot read the ServiceAccount token ${access.tokenFile}: ${(err as Error).message}`));
      return;
    }
    const https_ = access.apiUrl.protocol === 'https:';
    const headers: http.OutgoingHttpHeaders = {
      accept: 'application/json',
      ...request.headers,
      authorization: `Bearer ${token}`,
    };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    const options: https.RequestOptions = {
      protocol: access.apiUrl.protocol,
      hostname: access.apiUrl.hostname.replace(/^\[|\]$/g, ''),
      port: access.apiUrl.port || (https_ ? 443 : 80),
      method: request.method,
      path: request.path,
      headers,
      signal: request.signal,
    };
    let req: http.ClientRequest;
    if (https_) {
      let ca: Buffer;
      try {
        ca = fs.readFileSync(access.caFile);
      } catch (err) {
        reject(new Error(`kube-alive: cannot read the cluster CA ${access.caFile}: ${(err as Error).message}`));
        return;
      }
      req = https.request({ ...options, ca }, resolve);
    } else {
      req = http.request(options, resolve);
    }
    req.on('error', reject);
    req.end(request.body);
  });
}

/** A request whose answer is read whole and parsed; non-2xx answers reject with the API's message. */
export async function kubeJson<T>(access: KubeAccess, request: KubeRequest): Promise<T> {
  const res = await kubeRequest(access, request);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) {
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not a Status object: keep the text
    }
    throw new KubeError(status, `${request.method} ${request.path.split('?')[0]}: ${status} ${message}`);
  }
  return JSON.parse(text) as T;
}

export class KubeError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'KubeError';
  }
}
