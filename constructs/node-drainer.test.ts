import { createHash } from 'crypto';
import * as fs from 'fs';
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
  test('makes its namespace (denying all ingress), a ServiceAccount, a ClusterRole and its binding, a quota, the script and the DaemonSet', () => {
    const { objects } = synth();
    expect(objects.map((o) => [o.kind, o.metadata.namespace, o.metadata.name])).toEqual([
      ['Namespace', undefined, 'node-drainer'],
      ['NetworkPolicy', 'node-drainer', 'default-deny-ingress'],
      ['ServiceAccount', 'node-drainer', 'drain-user'],
      ['ClusterRole', undefined, 'node-drainer'],
      ['ClusterRoleBinding', undefined, 'node-drainer'],
      ['ResourceQuota', 'node-drainer', 'node-drainer-critical-pods'],
      ['ConfigMap', 'node-drainer', 'node-drainer-script'],
      ['DaemonSet', 'node-drainer', 'node-drainer'],
    ]);
    // Nothing reaches the drainer's pods: they listen on no port, and the namespace admits nothing.
    const deny = objects.find((o) => o.kind === 'NetworkPolicy');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(objects.find((o) => o.kind === 'DaemonSet').spec.template.spec.containers.every((c: any) => c.ports === undefined)).toBe(true);
  });

  test('RBAC: the ClusterRole allows exactly the requests the drain script sends, and the binding names the ServiceAccount', () => {
    const { role, binding, serviceAccount, pod } = synth();
    expect(role.apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['patch'] },
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
    // The Namespace and its default-deny policy belong to the namespace (SecureNamespace), not to
    // the drainer: they carry the namespace's labels; every other object the drainer's.
    const ofNamespace = (x: any) => x.kind === 'Namespace' || (x.kind === 'NetworkPolicy' && x.metadata.name === 'default-deny-ingress');
    expect(objects.filter(ofNamespace)).toHaveLength(2);
    for (const o of objects.filter(ofNamespace)) {
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'preemptible', 'app.kubernetes.io/managed-by': 'mega8s' });
    }
    for (const o of objects.filter((x) => !ofNamespace(x))) {
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
      [{ clusterRoleName: 'system:node-drainer' }, 'test/drainer: clusterRoleName "system:node-drainer" is a name Kubernetes reserves for its built-in roles (admin, edit, view, cluster-admin, system:*)'],
      [{ clusterRoleName: 'admin' }, 'test/drainer: clusterRoleName "admin" is a name Kubernetes reserves for its built-in roles'],
      [{ clusterRoleName: 'cluster-admin' }, 'test/drainer: clusterRoleName "cluster-admin" is a name Kubernetes reserves for its built-in roles'],
      [{ namespace: 'kube-system' }, 'test/drainer: namespace "kube-system" is reserved for Kubernetes itself'],
      [{ namespace: 'default' }, 'test/drainer: namespace "default" is reserved for Kubernetes itself'],
      [{ tolerations: [] }, 'test/drainer: tolerations [] is set by NodeDrainer itself'],
      [{ replicas: 2 }, 'test/drainer: replicas 2 is not supported: this workload runs one pod per matching node'],
      [{ runAsUser: NaN }, 'test/drainer: runAsUser NaN is not an integer'],
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
      [{ runAsUser: 0 }, 'test/drainer: runAsUser 0 is root: expected a non-root id in range 1-2147483647'],
      [{ runAsUser: -1 }, 'test/drainer: runAsUser -1 is out of range: expected in range 1-2147483647'],
      [{ resources: { requests: { cpu: 'lots' } } }, 'test/drainer: resources.requests.cpu "lots" is not a kubernetes quantity'],
    ])('%j', (props, message) => {
      expect(() => new NodeDrainer(Testing.chart(), 'drainer', props)).toThrow(message);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The drain script, run for real: bash, curl and jq against loopback stand-ins for the metadata
// server and for the API server.

