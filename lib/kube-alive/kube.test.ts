import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { AddressInfo } from 'net';
import { kubeAccessFromEnv, kubeJson, SERVICE_ACCOUNT_DIR } from './kube';

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('kubeAccessFromEnv', () => {
  test('in a pod: the Service variables and the projected ServiceAccount files', () => {
    const ns = path.join(dir, 'namespace');
    fs.writeFileSync(ns, 'kube-alive\n');
    const access = kubeAccessFromEnv({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBE_NAMESPACE_FILE: ns });
    expect(access).toEqual({
      apiUrl: new URL('https://10.96.0.1:443'),
      tokenFile: `${SERVICE_ACCOUNT_DIR}/token`,
      caFile: `${SERVICE_ACCOUNT_DIR}/ca.crt`,
      namespace: 'kube-alive',
    });
    expect(SERVICE_ACCOUNT_DIR).toBe('/var/run/secrets/kubernetes.io/serviceaccount');
  });
  test('an IPv6 API address is bracketed', () => {
    expect(kubeAccessFromEnv({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443', POD_NAMESPACE: 'x' }).apiUrl.host).toBe('[fd00::1]:6443');
  });
  test('everything can be overridden for tests', () => {
    expect(kubeAccessFromEnv({ KUBE_API_URL: 'http://127.0.0.1:1234', KUBE_TOKEN_FILE: '/t', KUBE_CA_FILE: '/c', POD_NAMESPACE: 'demo' }))
      .toEqual({ apiUrl: new URL('http://127.0.0.1:1234'), tokenFile: '/t', caFile: '/c', namespace: 'demo' });
  });
  test.each([
    [{}, 'kube-alive: neither KUBE_API_URL nor KUBERNETES_SERVICE_HOST is set; expected to run in a pod or to be given the API server'],
    [{ KUBE_API_URL: 'ftp://x' }, 'kube-alive: KUBE_API_URL ftp://x is not an http(s) URL'],
    [{ KUBE_API_URL: 'http://x', KUBE_NAMESPACE_FILE: '/nonexistent/ns' }, 'kube-alive: POD_NAMESPACE is not set and /nonexistent/ns cannot be read; expected the pod\'s namespace'],
    [{ KUBE_API_URL: 'http://x', POD_NAMESPACE: 'Bad_NS' }, 'kube-alive: namespace "Bad_NS" is not a DNS-1123 label'],
  ])('%j is refused', (env, message) => expect(() => kubeAccessFromEnv(env)).toThrow(message));
});

describe('kubeJson over TLS', () => {
  test('verifies the API server against the cluster CA file and sends the current token', async () => {
    // A throw-away self-signed certificate for 127.0.0.1 stands in for the cluster CA.
    const selfSigned = (name: string): { key: string; cert: string } => {
      const key = path.join(dir, `${name}.key`);
      const cert = path.join(dir, `${name}.crt`);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
      return { key, cert };
    };
    const { key, cert } = selfSigned('kubernetes');
    const other = selfSigned('other').cert;
    const tokens: string[] = [];
    const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
      tokens.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kind":"PodList","items":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const tokenFile = path.join(dir, 'token');
      fs.writeFileSync(tokenFile, 'abc\n');
      const access = { apiUrl: new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`), tokenFile, caFile: cert, namespace: 'n' };
      expect(await kubeJson(access, { method: 'GET', path: '/api/v1/namespaces/n/pods' })).toEqual({ kind: 'PodList', items: [] });
      fs.writeFileSync(tokenFile, 'def');
      await kubeJson(access, { method: 'GET', path: '/api/v1/namespaces/n/pods' });
      expect(tokens).toEqual(['Bearer abc', 'Bearer def']);
      // Without the right CA the connection is refused.
      await expect(kubeJson({ ...access, caFile: path.join(dir, 'missing.crt') }, { method: 'GET', path: '/' }))
        .rejects.toThrow(`kube-alive: cannot read the cluster CA ${path.join(dir, 'missing.crt')}`);
      await expect(kubeJson({ ...access, caFile: other }, { method: 'GET', path: '/' })).rejects.toThrow(/self.signed certificate|unable to verify/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
