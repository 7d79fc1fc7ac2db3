import { ChildProcess, spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { NodeDrainer, NodeDrainerProps, drainBudget } from './node-drainer';
import { DRAIN_SH } from './scripts/embedded';
import { loadEnvironment } from '../lib/env';
import { chartObjects } from '../lib/synth/build';
import { checkObjects } from '../lib/synth/check';
import { toYamlDocuments } from '../lib/synth/yaml';

/** The drain script as it is in the repository (scripts.test.ts proves the embedded copy equal). */
const DRAIN_FILE = path.join(__dirname, 'scripts', 'drain.sh');

function synth(props: NodeDrainerProps = {}) {
  const chart = Testing.chart();
  const drainer = new NodeDrainer(chart, 'drainer', props);
  const objects = Testing.synth(chart);
  const one = (kind: string) => objects.filter((o) => o.kind === kind)[0];
  const daemonSet = one('DaemonSet');
  return {
    chart, drainer, objects, daemonSet,
    pod: daemonSet.spec.template.spec,
    container: daemonSet.spec.template.spec.containers[0],
    namespace: one('Namespace'),
    role: one('ClusterRole'),
    binding: one('ClusterRoleBinding'),
    serviceAccount: one('ServiceAccount'),
    quota: one('ResourceQuota'),
    configMap: one('ConfigMap'),
  };
}

describe('NodeDrainer', () => {
  test('makes its namespace, a ServiceAccount, a ClusterRole and its binding, a quota, the script and the DaemonSet', () => {
    const { objects } = synth();
    expect(objects.map((o) => [o.kind, o.metadata.namespace, o.metadata.name])).toEqual([
      ['Namespace', undefined, 'node-drainer'],
      ['ServiceAccount', 'node-drainer', 'drain-user'],
      ['ClusterRole', undefined, 'node-drainer'],
      ['ClusterRoleBinding', undefined, 'node-drainer'],
      ['ResourceQuota', 'node-drainer', 'node-drainer-critical-pods'],
      ['ConfigMap', 'node-drainer', 'node-drainer-script'],
      ['DaemonSet', 'node-drainer', 'node-drainer'],
    ]);
  });

  test('RBAC: the ClusterRole allows exactly what tainting and draining need, and the binding names the ServiceAccount', () => {
    const { role, binding, serviceAccount, pod } = synth();
    expect(role.apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['daemonsets', 'replicasets', 'statefulsets'], verbs: ['get'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] },
    ]);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-drainer' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'drain-user', namespace: 'node-drainer' }]);
    // The token is mounted into the drainer's pods only.
    expect(serviceAccount.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('drain-user');
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  test('names of the role, the binding and the ServiceAccount are configurable', () => {
    const { role, binding, serviceAccount } = synth({ clusterRoleName: 'drainer', serviceAccountName: 'drainer-sa', namespace: 'ops' });
    expect(role.metadata.name).toBe('drainer');
    expect(binding.metadata.name).toBe('drainer');
    expect(binding.roleRef.name).toBe('drainer');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'drainer-sa', namespace: 'ops' }]);
    expect(serviceAccount.metadata).toMatchObject({ name: 'drainer-sa', namespace: 'ops' });
  });

  test('the DaemonSet runs only on preemptible or spot nodes and tolerates every taint', () => {
    const { pod } = synth();
    expect(pod.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'cloud.google.com/gke-preemptible', operator: 'Exists' }] },
            { matchExpressions: [{ key: 'cloud.google.com/gke-spot', operator: 'Exists' }] },
          ],
        },
      },
    });
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.nodeSelector).toBeUndefined();
  });

  test('the node labels are configurable', () => {
    const { pod } = synth({ nodeLabelKeys: ['eks.amazonaws.com/capacityType'] });
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms)
      .toEqual([{ matchExpressions: [{ key: 'eks.amazonaws.com/capacityType', operator: 'Exists' }] }]);
  });

  test('env: NODE_NAME from the downward API, HOME on the emptyDir, and the drain budget derived from noticeSeconds', () => {
    const { container, pod } = synth();
    expect(container.env).toEqual([
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'HOME', value: '/home/drainer' },
      { name: 'METADATA_URL', value: 'http://metadata.google.internal/computeMetadata/v1/instance/preempted' },
      { name: 'TAINT_KEY', value: 'mega8s.io/preempted' },
      { name: 'TAINT_TIMEOUT_SECONDS', value: '3' },
      { name: 'DRAIN_GRACE_SECONDS', value: '15' },
      { name: 'DRAIN_TIMEOUT_SECONDS', value: '25' },
    ]);
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    const long = synth({ noticeSeconds: 120, metadataUrl: 'http://169.254.169.254/x', taintKey: 'example.com/going' });
    expect(long.container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value])).toEqual([
      ['HOME', '/home/drainer'], ['METADATA_URL', 'http://169.254.169.254/x'], ['TAINT_KEY', 'example.com/going'],
      ['TAINT_TIMEOUT_SECONDS', '3'], ['DRAIN_GRACE_SECONDS', '60'], ['DRAIN_TIMEOUT_SECONDS', '115'],
    ]);
    expect(long.pod.terminationGracePeriodSeconds).toBe(120);
    expect(long.drainer.drainGraceSeconds).toBe(60);
    expect(long.drainer.drainTimeoutSeconds).toBe(115);
  });

  test('drainBudget: the timeout leaves 5 s of the notice for the taint and the notice itself, the grace period is half', () => {
    expect(drainBudget(30)).toEqual({ graceSeconds: 15, timeoutSeconds: 25 });
    expect(drainBudget(15)).toEqual({ graceSeconds: 7, timeoutSeconds: 10 });
    expect(drainBudget(120)).toEqual({ graceSeconds: 60, timeoutSeconds: 115 });
    for (let n = 15; n <= 3600; n++) {
      const b = drainBudget(n);
      // The taint's 3 s request timeout plus the drain fit inside the notice; the grace period
      // leaves time to retry evictions a PodDisruptionBudget held back.
      expect(3 + b.timeoutSeconds).toBeLessThan(n);
      expect(b.graceSeconds).toBeGreaterThan(0);
      expect(b.graceSeconds).toBeLessThan(b.timeoutSeconds);
    }
  });

  test('Pod Security restricted: non-root, read-only root with HOME on an emptyDir, drop ALL, seccomp; no host network', () => {
    const { pod, container, namespace } = synth();
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts).toEqual([
      { name: 'script', mountPath: '/opt/node-drainer', readOnly: true },
      { name: 'home', mountPath: '/home/drainer' },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'script', configMap: { name: 'node-drainer-script' } },
      { name: 'home', emptyDir: { sizeLimit: '64Mi' } },
    ]);
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.dnsPolicy).toBeUndefined();
  });

  test('hostNetwork (GKE Workload Identity): the pod joins the node network and the namespace enforces privileged, still auditing restricted', () => {
    const { pod, container, namespace } = synth({ hostNetwork: true });
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(namespace.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });

  test('resources are small and set; fields given merge over the defaults', () => {
    expect(synth().container.resources).toEqual({ requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    expect(synth({ resources: { limits: { memory: '256Mi' } } }).container.resources)
      .toEqual({ requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } });
    // Quantities come out as the API server stores them, so that a re-apply changes nothing.
    expect(synth({ resources: { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { memory: '2000M' } } }).container.resources)
      .toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2G' } });
  });

  test('runs at system-node-critical, with the ResourceQuota GKE requires for that class outside kube-system', () => {
    const { pod, quota } = synth();
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(quota.spec).toEqual({
      hard: { pods: '5k' },
      scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical'] }] },
    });
  });

  test('the script ships in the ConfigMap, bash runs it from the mount, and its digest rolls the pods', () => {
    const { configMap, container, daemonSet } = synth();
    expect(configMap.data).toEqual({ 'drain.sh': DRAIN_SH });
    expect(DRAIN_SH).toBe(fs.readFileSync(DRAIN_FILE, 'utf8'));
    expect(container.command).toEqual(['bash', '/opt/node-drainer/drain.sh']);
    expect(container.image).toBe('alpine/k8s:1.27.15');
    expect(daemonSet.spec.template.metadata.annotations).toEqual({
      'mega8s.io/script-sha256': createHash('sha256').update(DRAIN_SH).digest('hex'),
    });
    // The script renders as a readable YAML block, not one escaped line.
    expect(toYamlDocuments([configMap])).toContain('  drain.sh: |\n    #!/usr/bin/env bash\n');
  });

  test('selectors use the stable name and instance labels; every object carries the recommended labels', () => {
    const { objects, daemonSet } = synth({ name: 'drainer', partOf: 'preemptible', labels: { team: 'platform' } });
    const selector = { 'app.kubernetes.io/name': 'node-drainer', 'app.kubernetes.io/instance': 'drainer' };
    expect(daemonSet.spec.selector).toEqual({ matchLabels: selector });
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
      expect(o.metadata.labels).toMatchObject({
        ...selector, team: 'platform', 'app.kubernetes.io/part-of': 'preemptible',
        'app.kubernetes.io/version': '1.27.15', 'app.kubernetes.io/managed-by': 'mega8s',
      });
    }
    expect(daemonSet.spec.template.metadata.labels).toMatchObject(selector);
  });

  test.each([
    ['default', {}],
    ['hostNetwork', { hostNetwork: true }],
  ])('the %s output passes every synth check (pod security, schema, RBAC, references)', (_name, props) => {
    const chart = Testing.chart();
    new NodeDrainer(chart, 'drainer', props);
    const problems = checkObjects(loadEnvironment('envs/dev.env'), chartObjects('test', chart));
    expect(problems.map((p) => p.message)).toEqual([]);
  });

  test('snapshot (YAML)', () => {
    expect(toYamlDocuments(synth().objects)).toMatchSnapshot();
  });

  describe('invalid props throw at construction with the construct path', () => {
    test.each<[NodeDrainerProps, string]>([
      [{ name: 'Not_A_Label' }, 'test/drainer: name "Not_A_Label" is not a valid DNS-1123 label'],
      [{ namespace: 'kube_system' }, 'test/drainer: namespace "kube_system" is not a valid DNS-1123 label'],
      [{ clusterRoleName: 'system:node-drainer' }, 'test/drainer: clusterRoleName "system:node-drainer" starts with "system:", which is reserved for Kubernetes\' own roles'],
      [{ clusterRoleName: 'Node-Drainer' }, 'test/drainer: clusterRoleName "Node-Drainer" is not a valid DNS-1123 subdomain'],
      [{ serviceAccountName: 'drain user' }, 'test/drainer: serviceAccountName "drain user" is not a valid DNS-1123 subdomain'],
      [{ image: '' }, 'test/drainer: image "" is empty: expected a non-empty string'],
      [{ image: 'alpine/k8s: 1.27.15' }, 'test/drainer: image "alpine/k8s: 1.27.15" contains white space'],
      [{ noticeSeconds: 10 }, 'test/drainer: noticeSeconds 10 is out of range: expected in range 15-3600'],
      [{ noticeSeconds: 30.5 }, 'test/drainer: noticeSeconds 30.5 is not an integer'],
      [{ nodeLabelKeys: [] }, 'test/drainer: nodeLabelKeys [] is empty: expected at least one node label key'],
      [{ nodeLabelKeys: ['gke spot'] }, 'test/drainer: nodeLabelKeys "gke spot" is not a valid label key'],
      [{ nodeLabelKeys: ['cloud.google.com/gke-spot', 'cloud.google.com/gke-spot'] }, 'test/drainer: nodeLabelKeys lists "cloud.google.com/gke-spot" twice'],
      [{ metadataUrl: 'metadata.google.internal/computeMetadata/v1/instance/preempted' }, 'test/drainer: metadataUrl "metadata.google.internal/computeMetadata/v1/instance/preempted" is not an http(s) URL without query or fragment'],
      [{ metadataUrl: 'http://127.0.0.1/preempted?wait_for_change=true' }, 'test/drainer: metadataUrl "http://127.0.0.1/preempted?wait_for_change=true" is not an http(s) URL without query or fragment'],
      [{ taintKey: 'mega8s.io/' }, 'test/drainer: taintKey "mega8s.io/" is not a valid label key'],
      [{ runAsUser: 0 }, 'test/drainer: runAsUser 0 is out of range: expected at least 1'],
      [{ resources: { requests: { cpu: 'lots' } } }, 'test/drainer: resources.requests.cpu "lots" is not a kubernetes quantity'],
    ])('%j', (props, message) => {
      expect(() => new NodeDrainer(Testing.chart(), 'drainer', props)).toThrow(message);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The drain script, run for real: bash, curl against a loopback stand-in for the metadata server,
// and a fake kubectl on PATH that records its arguments.

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

const FAKE_KUBECTL = `#!/usr/bin/env bash
# Records its arguments (tab-separated, one call a line); fails when its verb is FAKE_KUBECTL_FAIL;
# a drain waits for FAKE_KUBECTL_HOLD_DRAIN (a file) to exist when that is set.
(IFS=$'\\t'; printf '%s\\n' "$*") >>"$FAKE_KUBECTL_LOG"
# (It gives up after a minute, so that nothing outlives a test.)
if [[ $1 == drain && -n \${FAKE_KUBECTL_HOLD_DRAIN:-} ]]; then
  for ((i = 0; i < 600; i++)); do [[ -e $FAKE_KUBECTL_HOLD_DRAIN ]] && break; sleep 0.1; done
fi
if [[ $1 == "\${FAKE_KUBECTL_FAIL:-}" ]]; then
  echo "error: fake kubectl refuses to $1" >&2
  exit 1
fi
echo "fake kubectl: $1 done"
`;

interface Run {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

describe('drain script', () => {
  let dir: string;
  let kubectlLog: string;
  let state: string;
  let metadata: FakeMetadataServer;
  let port: number;
  let runs: Run[];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-drainer-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'kubectl'), FAKE_KUBECTL, { mode: 0o755 });
    state = path.join(dir, 'home');
    fs.mkdirSync(state);
    kubectlLog = path.join(dir, 'kubectl.log');
    metadata = new FakeMetadataServer();
    port = await metadata.listen();
    runs = [];
  });

  afterEach(async () => {
    // Kill each run's whole process group, even when bash itself has exited: a child it left
    // behind (a sleep, a fake kubectl) would otherwise outlive the test.
    for (const run of runs) {
      try {
        process.kill(-run.child.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
      await run.exited;
    }
    await metadata.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The env the DaemonSet gives the container, with NODE_NAME resolved, HOME on the test's folder and the URL on loopback. */
  function podEnv(props: NodeDrainerProps = {}): Record<string, string> {
    const container = synth({ metadataUrl: `http://127.0.0.1:${port}${PREEMPTED_PATH}`, ...props }).container;
    const env: Record<string, string> = {};
    for (const e of container.env) env[e.name] = e.valueFrom ? NODE : e.value;
    return { ...env, HOME: state };
  }

  function start(env: Record<string, string> = podEnv()): Run {
    let out = '';
    const child = spawn('bash', [DRAIN_FILE], {
      cwd: dir,
      detached: true, // its own process group, so that the test can kill it with its children
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
        FAKE_KUBECTL_LOG: kubectlLog,
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

  function kubectlCalls(): string[][] {
    if (!fs.existsSync(kubectlLog)) return [];
    return fs.readFileSync(kubectlLog, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
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
  const TAINT = ['taint', 'nodes', NODE, 'mega8s.io/preempted=true:NoSchedule', '--overwrite', '--request-timeout=3s'];
  const DRAIN = ['drain', NODE, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--grace-period=15', '--timeout=25s'];

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
    expect(kubectlCalls()).toEqual([]);
    expect(running(run)).toBe(true);
    expect(run.output()).toContain(`watching http://127.0.0.1:${port}${PREEMPTED_PATH} for the preemption notice of node ${NODE}`);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('received a termination signal: exiting');
    expect(kubectlCalls()).toEqual([]);
  });

  test('notice TRUE: taints the node, then drains it once with the budget; a restarted container does not drain again', async () => {
    const run = start();
    await waitFor('the long poll', run, () => metadata.holding === 1);
    metadata.set('TRUE');
    await waitFor('the drain', run, () => run.output().includes('drained; idling'));
    expect(kubectlCalls()).toEqual([TAINT, DRAIN]);
    expect(run.output()).toContain(`preemption notice for node ${NODE}: tainting it mega8s.io/preempted=true:NoSchedule, then draining it (--grace-period=15 --timeout=25s)`);
    expect(fs.readFileSync(path.join(state, 'drained'), 'utf8')).toBe(`${NODE}\n`);
    // Idle from now on: it stops watching (there is nothing more to wait for).
    await new Promise((r) => setTimeout(r, 1500));
    expect(metadata.requests).toHaveLength(2);
    expect(kubectlCalls()).toHaveLength(2);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);

    // The kubelet restarts the container in the same pod: the marker on the emptyDir holds.
    const again = start();
    await waitFor('the restart', again, () => again.output().includes('already drained'));
    expect(again.output()).toContain(`node ${NODE} was already drained by this pod; idling until it shuts down`);
    await new Promise((r) => setTimeout(r, 1000));
    expect(metadata.requests).toHaveLength(2);
    expect(kubectlCalls()).toEqual([TAINT, DRAIN]);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  test('the budget follows noticeSeconds', async () => {
    metadata.set('TRUE');
    const run = start(podEnv({ noticeSeconds: 120 }));
    await waitFor('the drain', run, () => run.output().includes('drained; idling'));
    expect(kubectlCalls()).toEqual([TAINT, ['drain', NODE, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--grace-period=60', '--timeout=115s']]);
  });

  test('a notice already up when the drainer starts is acted on at once', async () => {
    metadata.set('TRUE');
    const run = start();
    await waitFor('the drain', run, () => run.output().includes('drained; idling'));
    expect(metadata.requests.map((r) => r.url)).toEqual([PREEMPTED_PATH]);
    expect(kubectlCalls()).toEqual([TAINT, DRAIN]);
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
    expect(kubectlCalls()).toEqual([]);
    expect(running(run)).toBe(true);
  });

  test('recovers when the metadata server comes back, and drains on the notice that follows', async () => {
    metadata.behaviour = 'http-503';
    const run = start();
    await waitFor('a retry', run, () => count(run.output(), 'retrying in') >= 1);
    metadata.behaviour = 'normal';
    await waitFor('the long poll', run, () => metadata.holding === 1);
    expect(kubectlCalls()).toEqual([]);
    metadata.set('TRUE');
    await waitFor('the drain', run, () => run.output().includes('drained; idling'));
    expect(kubectlCalls()).toEqual([TAINT, DRAIN]);
  });

  test('a failed drain logs why and exits non-zero, leaving no marker, so that the restarted container drains again', async () => {
    metadata.set('TRUE');
    const run = start({ ...podEnv(), FAKE_KUBECTL_FAIL: 'drain' });
    expect(await run.exited).toBe(1);
    expect(kubectlCalls()).toEqual([TAINT, DRAIN]);
    expect(run.output()).toContain(`error: draining node ${NODE} failed (kubectl exit 1): an eviction may be blocked by a PodDisruptionBudget, or the API server refused; exiting so that the container restarts and drains again`);
    expect(fs.existsSync(path.join(state, 'drained'))).toBe(false);
  });

  test('a failed taint is a warning: the drain still runs', async () => {
    metadata.set('TRUE');
    const run = start({ ...podEnv(), FAKE_KUBECTL_FAIL: 'taint' });
    await waitFor('the drain', run, () => run.output().includes('drained; idling'));
    expect(kubectlCalls()).toEqual([TAINT, DRAIN]);
    expect(run.output()).toContain(`warning: tainting node ${NODE} failed (kubectl exit 1); draining it anyway (the drain cordons it)`);
  });

  test('SIGTERM during the drain does not cut it short', async () => {
    metadata.set('TRUE');
    const release = path.join(dir, 'release-drain');
    const run = start({ ...podEnv(), FAKE_KUBECTL_HOLD_DRAIN: release });
    await waitFor('the drain to start', run, () => kubectlCalls().length === 2);
    run.child.kill('SIGTERM');
    await waitFor('the signal', run, () => run.output().includes('finishing the drain'));
    expect(running(run)).toBe(true);
    fs.writeFileSync(release, '');
    await waitFor('the drain', run, () => run.output().includes('drained; idling'));
    expect(run.output()).toContain(`received a termination signal while draining node ${NODE}: finishing the drain`);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(kubectlCalls()).toEqual([TAINT, DRAIN]);
  });

  test.each<[string, Record<string, string | undefined>, string]>([
    ['NODE_NAME missing', { NODE_NAME: undefined }, 'error: NODE_NAME is not set: expected the name of this node (downward API spec.nodeName)'],
    ['DRAIN_TIMEOUT_SECONDS missing', { DRAIN_TIMEOUT_SECONDS: undefined }, 'error: DRAIN_TIMEOUT_SECONDS is not set'],
    ['a duration with a unit', { DRAIN_TIMEOUT_SECONDS: '25s' }, 'error: DRAIN_TIMEOUT_SECONDS="25s" is not a whole number of seconds'],
    ['a zero grace period', { DRAIN_GRACE_SECONDS: '0' }, 'error: DRAIN_GRACE_SECONDS=0 is below 1'],
    ['a URL with a query', { METADATA_URL: 'http://127.0.0.1:1/preempted?x=1' }, 'error: METADATA_URL="http://127.0.0.1:1/preempted?x=1" has a query: the drainer adds its own'],
    ['a state folder that does not exist', { HOME: '/nonexistent/node-drainer' }, 'error: DRAINER_STATE_DIR="/nonexistent/node-drainer" is not a writable folder'],
  ])('refuses to start with %s (exit 2)', async (_what, change, message) => {
    const env = { ...podEnv(), ...change };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const run = start(env as Record<string, string>);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(message);
    expect(metadata.requests).toEqual([]);
    expect(kubectlCalls()).toEqual([]);
  });
});
