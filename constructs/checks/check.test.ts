import { Chart, Testing } from 'cdk8s';
import { GrpcService, ServiceType, SecureNamespace } from '..';
import { chartObjects } from './app';
import { CheckOptions, checkObjects, formatProblem } from './check';
import { Manifest, SynthObject } from './objects';

/** Quotas as an app declares them: limits, where they come from, and how its messages name them. */
const OPTIONS: CheckOptions = {
  quotas: { forwardingRules: 2, targetPools: 2, firewalls: 2, cpus: 1, diskGb: 20 },
  quotaSource: 'envs/qa.env',
  quotaNames: { forwardingRules: 'QUOTA_FORWARDING_RULES', targetPools: 'QUOTA_TARGET_POOLS', firewalls: 'QUOTA_FIREWALLS', cpus: 'QUOTA_CPUS', diskGb: 'QUOTA_DISK_GB' },
};

/** A namespace `team` with one GrpcService `api`, as SynthObjects, for tests to break. */
function base(props: Partial<ConstructorParameters<typeof GrpcService>[2]> = {}): SynthObject[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'team', disableResourceNameHashes: true });
  new SecureNamespace(chart, 'ns', { name: 'team' });
  new GrpcService(chart, 'api', { image: 'gcr.io/p/api:1', ...props }).allowFrom({ app: 'client' });
  return chartObjects(chart, 'c');
}

function messages(objects: SynthObject[]): string[] {
  return checkObjects(objects, OPTIONS).map(formatProblem);
}

/** Replaces the manifest of the first object of `kind` with `change(copy)`. */
function edit(objects: SynthObject[], kind: string, change: (m: any) => void): SynthObject[] {
  let done = false;
  return objects.map((o) => {
    if (done || o.manifest.kind !== kind) return o;
    done = true;
    const m = JSON.parse(JSON.stringify(o.manifest));
    change(m);
    return { ...o, manifest: m as Manifest };
  });
}

function add(objects: SynthObject[], manifest: any, path = 'c/extra'): SynthObject[] {
  return [...objects, { chart: 'c', path, manifest }];
}

describe('synth checks', () => {
  test('a correct output has no problems', () => {
    expect(messages(base({ replicas: 2, serviceType: ServiceType.LOAD_BALANCER }))).toEqual([]);
  });

  test('each message names the object and the construct path', () => {
    const out = messages(edit(base(), 'Service', (m) => { m.spec.selector = { app: 'nothing' }; }));
    expect(out).toEqual(['Service team/api (c/api/Service): selector {"app":"nothing"} matches no pod template in namespace team']);
  });

  test('schema: a wrong type is caught by the Kubernetes 1.27 schema', () => {
    expect(messages(edit(base(), 'Deployment', (m) => { m.spec.replicas = 'two'; })))
      .toContain('Deployment team/api (c/api/Deployment): does not match the apps/v1 Deployment schema: /spec/replicas must be integer');
  });

  test('schema: removed API versions and unknown kinds are refused', () => {
    expect(messages(edit(base({ replicas: 2 }), 'PodDisruptionBudget', (m) => { m.apiVersion = 'policy/v1beta1'; })).join('\n'))
      .toContain('uses policy/v1beta1, which Kubernetes 1.27 no longer serves: use policy/v1');
    expect(messages(add(base(), { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'team' } })).join('\n'))
      .toContain('example.com/v1 Widget is not a Kubernetes 1.27 kind');
  });

  test('two objects with the same group/kind/namespace/name', () => {
    const objects = base();
    const svc = objects.find((o) => o.manifest.kind === 'Service')!;
    expect(messages([...objects, { ...svc, path: 'c/other/Service' }]))
      .toContain('Service team/api (c/other/Service): has the same group/kind/namespace/name as the object made at c/api/Service');
  });

  test('a workload selector that does not match its own template', () => {
    expect(messages(edit(base(), 'Deployment', (m) => { m.spec.selector.matchLabels['app.kubernetes.io/name'] = 'other'; })).join('\n'))
      .toContain('does not match its own pod template labels');
  });

  test('a Service targetPort that is not a container port, by name and by number', () => {
    expect(messages(edit(base(), 'Service', (m) => { m.spec.ports[0].targetPort = 'http'; })))
      .toContain('Service team/api (c/api/Service): port grpc targets "http", which is not a container port of Deployment team/api');
    expect(messages(edit(base(), 'Service', (m) => { m.spec.ports[0].targetPort = 10001; })).join('\n'))
      .toContain('port grpc targets 10001, which is not a container port');
    expect(messages(edit(base(), 'Service', (m) => { m.spec.ports[0].targetPort = 10000; }))).toEqual([]);
  });

  test('a namespace the output does not create, a missing namespace, a namespaced cluster-scoped object', () => {
    expect(messages(base().filter((o) => o.manifest.kind !== 'Namespace')).join('\n'))
      .toContain('is in namespace team, which the output does not create');
    expect(messages(edit(base(), 'Service', (m) => { delete m.metadata.namespace; })).join('\n'))
      .toContain('has no namespace');
    expect(messages(edit(base(), 'Namespace', (m) => { m.metadata.namespace = 'team'; })).join('\n'))
      .toContain('is cluster-scoped but says namespace team');
  });

  test('pod security: a pod that fails "restricted" in a restricted namespace', () => {
    const out = messages(edit(base(), 'Deployment', (m) => {
      const c = m.spec.template.spec.containers[0];
      c.securityContext.allowPrivilegeEscalation = true;
      c.securityContext.capabilities = { add: ['NET_ADMIN'] };
      m.spec.template.spec.hostNetwork = true;
      m.spec.template.spec.volumes = [{ name: 'h', hostPath: { path: '/' } }];
    })).join('\n');
    expect(out).toContain('pod security "restricted" (enforced on namespace team): hostNetwork is true');
    expect(out).toContain('volume h is a hostPath');
    expect(out).toContain('container server: allowPrivilegeEscalation is not false');
    expect(out).toContain('container server: adds capabilities NET_ADMIN');
    expect(out).toContain('container server: capabilities do not drop ALL');
  });

  test('pod security: a privileged namespace admits hostNetwork, but a pod that passes restricted must not sit in one', () => {
    const privileged = (objects: SynthObject[]) => edit(objects, 'Namespace', (m) => { m.metadata.labels['pod-security.kubernetes.io/enforce'] = 'privileged'; });
    const hostNet = privileged(edit(base(), 'Deployment', (m) => { m.spec.template.spec.hostNetwork = true; }));
    expect(messages(hostNet)).toEqual([]);
    expect(messages(privileged(base())).join('\n')).toContain('enforces only "privileged", yet the pod passes "restricted"');
  });

  test('resources: requests for cpu and memory and a memory limit on every container', () => {
    const out = messages(edit(base(), 'Deployment', (m) => { m.spec.template.spec.containers[0].resources = { requests: { cpu: '1' } }; })).join('\n');
    expect(out).toContain('container server does not request both cpu and memory');
    expect(out).toContain('container server has no memory limit');
  });

  test('images must be pinned', () => {
    for (const image of ['gcr.io/p/api', 'gcr.io/p/api:latest', 'localhost:5000/api']) {
      expect(messages(edit(base(), 'Deployment', (m) => { m.spec.template.spec.containers[0].image = image; })).join('\n'))
        .toContain(`image ${JSON.stringify(image)} is not pinned`);
    }
  });

  test('references: ConfigMaps, ServiceAccounts, volumes that are not in the output', () => {
    const out = messages(edit(base(), 'Deployment', (m) => {
      const spec = m.spec.template.spec;
      spec.serviceAccountName = 'robot';
      spec.volumes = [{ name: 'cfg', configMap: { name: 'settings' } }];
      spec.containers[0].volumeMounts = [{ name: 'cfg', mountPath: '/etc/cfg' }, { name: 'ghost', mountPath: '/ghost' }];
      spec.containers[0].envFrom = [{ configMapRef: { name: 'more' } }];
    })).join('\n');
    expect(out).toContain('uses ServiceAccount robot, which is not in the output');
    expect(out).toContain('volume cfg mounts ConfigMap settings, which is not in the output');
    expect(out).toContain('container server mounts volume ghost, which the pod does not define');
    expect(out).toContain('container server reads ConfigMap more, which is not in the output');
  });

  test('StatefulSet: serviceName must be a headless Service; claim storage classes must exist or be GKE defaults', () => {
    const sts = {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'team' },
      spec: {
        serviceName: 'api', replicas: 3, selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'db', image: 'db:1', resources: { requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } }, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } } }],
      },
    };
    const out = messages(add(base(), sts)).join('\n');
    expect(out).toContain('serviceName api is not a headless Service (clusterIP: None)');
    expect(out).toContain('volume claim data uses StorageClass fast, which is neither in the output nor a default storage class of the cluster (standard, standard-rwo, premium-rwo)');
    const fine = add(add(base({ serviceType: ServiceType.HEADLESS }), sts), { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'pd.csi.storage.gke.io' });
    // Everything else is now right; the only problem left is the disk quota: 3 replicas x 10Gi over 20 GB.
    expect(messages(fine)).toEqual(['quota QUOTA_DISK_GB exceeded: the output needs 30 GB of persistent disk, the limit is 20 (envs/qa.env); biggest consumers: StatefulSet team/db (30)']);
  });

  test('zero trust: a namespace without default deny and a workload no policy admits traffic to are problems', () => {
    const noDeny = base().filter((o) => o.manifest.metadata.name !== 'default-deny-ingress');
    expect(messages(noDeny)).toEqual([expect.stringContaining('Namespace team (c/ns/Resource): has no default-deny ingress NetworkPolicy')]);
    // A GrpcService with no client and a ClusterIP Service: its policy admits nothing.
    const chart = new Chart(Testing.app(), 'c', { namespace: 'team', disableResourceNameHashes: true });
    new SecureNamespace(chart, 'ns', { name: 'team' });
    new GrpcService(chart, 'api', { image: 'gcr.io/p/api:1' });
    expect(messages(chartObjects(chart, 'c'))).toEqual([
      'Deployment team/api (c/api/Deployment): its pods listen on 10000/TCP but no NetworkPolicy in namespace team admits traffic to them: name the clients (allowFrom) or expose the port with a NetworkPolicy',
    ]);
  });

  test('PDB and NetworkPolicy selectors must match pods', () => {
    expect(messages(edit(base({ replicas: 2 }), 'PodDisruptionBudget', (m) => { m.spec.selector = { matchLabels: { app: 'x' } }; })).join('\n'))
      .toContain('PodDisruptionBudget team/api (c/api/Pdb): selector {"matchLabels":{"app":"x"}} matches no pod template in namespace team');
    const np = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'team' }, spec: { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }, policyTypes: ['Ingress'] } };
    expect(messages(add(base(), np)).join('\n')).toContain('podSelector');
  });

  test('RBAC: wildcards, unknown verbs, secrets, cluster-admin and dangling references are refused', () => {
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', '*', 'read'] }] };
    const out = messages(add(base(), role)).join('\n');
    expect(out).toContain('rule 0 uses a wildcard in verbs');
    expect(out).toContain('rule 0 has unknown verb "read"');
    expect(out).toContain('rule 0 grants access to secrets');
    const binding = (roleName: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects: [{ kind: 'ServiceAccount', name: 'ghost', namespace: 'team' }] });
    expect(messages(add(base(), binding('cluster-admin'))).join('\n')).toContain('binds cluster-admin');
    const dangling = messages(add(base(), binding('nope'))).join('\n');
    expect(dangling).toContain('roleRef ClusterRole nope is not in the output');
    expect(dangling).toContain('subject ServiceAccount team/ghost is not in the output');
  });

  describe('quota preflight', () => {
    test('load balancers need a forwarding rule, a target pool and a firewall rule each', () => {
      const chart = new Chart(Testing.app(), 'c', { namespace: 'team', disableResourceNameHashes: true });
      new SecureNamespace(chart, 'ns', { name: 'team' });
      for (const id of ['a', 'b', 'c']) new GrpcService(chart, id, { image: 'gcr.io/p/x:1', serviceType: ServiceType.LOAD_BALANCER });
      const out = messages(chartObjects(chart, 'c'));
      expect(out).toHaveLength(3);
      expect(out[0]).toBe('quota QUOTA_FORWARDING_RULES exceeded: the output needs 3 forwarding rules, the limit is 2 (envs/qa.env); biggest consumers: Service team/a (1), Service team/b (1), Service team/c (1)');
      expect(out[1]).toContain('quota QUOTA_TARGET_POOLS exceeded');
      expect(out[2]).toContain('quota QUOTA_FIREWALLS exceeded');
    });

    test('CPU requests are summed over replicas, and the biggest consumers come first', () => {
      const out = messages(base({ replicas: 3, resources: { requests: { cpu: '500m' } } })).join('\n');
      expect(out).toContain('quota QUOTA_CPUS exceeded: the output needs 1.5 CPUs, the limit is 1 (envs/qa.env); biggest consumers: Deployment team/api (1.5)');
    });

    test('persistent disk is summed over volume claims and replicas', () => {
      const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'big', namespace: 'team' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '21Gi' } } } };
      expect(messages(add(base(), pvc)).join('\n')).toContain('quota QUOTA_DISK_GB exceeded: the output needs 21 GB of persistent disk, the limit is 20');
    });
  });
});
