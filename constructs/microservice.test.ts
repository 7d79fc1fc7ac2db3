import { App, Chart, Lazy, Testing } from 'cdk8s';
import { TolerationOperator } from './workload';
import * as kplus from 'cdk8s-plus-27';
import { toYamlDocuments } from '../lib/synth/yaml';
import { CONFIG_HASH_ANNOTATION } from './config-hash';
import { MICROSERVICE_DEFAULTS, Microservice, MicroserviceProps } from './microservice';
import { ServiceType } from './service-type';
import { errorOf } from '../lib/testing';

function chartIn(): Chart {
  return new Chart(new App(), 'test', { namespace: 'shippy', disableResourceNameHashes: true });
}

function build(props: Partial<MicroserviceProps> = {}, extra?: (chart: Chart) => Partial<MicroserviceProps>) {
  const chart = chartIn();
  const svc = new Microservice(chart, 'vessel', { image: 'gcr.io/p/vessel-service:1.0.0', ...props, ...(extra ? extra(chart) : {}) });
  const objects = Testing.synth(chart);
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployment = of('Deployment')[0];
  const service = of('Service')[0];
  const container = deployment.spec.template.spec.containers[0];
  return { chart, svc, objects, of, deployment, service, container, pod: deployment.spec.template.spec };
}


describe('Microservice', () => {
  test('a Deployment and a ClusterIP Service on port 8080 named http', () => {
    const { deployment, service, container, of } = build({ args: ['--selector=static', '--server_address=:8080'] });
    expect(deployment.metadata.name).toBe('vessel');
    expect(deployment.spec.replicas).toBe(1);
    expect(container.image).toBe('gcr.io/p/vessel-service:1.0.0');
    expect(container.args).toEqual(['--selector=static', '--server_address=:8080']);
    expect(container.command).toBeUndefined();
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(service.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': 'vessel', 'app.kubernetes.io/instance': 'vessel' },
      ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 'http' }],
    });
    expect(of('PodDisruptionBudget')).toHaveLength(0);
  });

  test('a LoadBalancer on 80 in front of an unprivileged container port', () => {
    const headless = build({ serviceType: ServiceType.HEADLESS }).service;
    expect([headless.spec.type, headless.spec.clusterIP]).toEqual(['ClusterIP', 'None']);
    const { service, container } = build({ serviceType: ServiceType.LOAD_BALANCER, servicePort: 80 });
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }]);
    expect(container.ports[0].containerPort).toBe(8080);
  });

  test('replicas above 1 get a PDB over the same pods', () => {
    const { deployment, of } = build({ replicas: 3 });
    expect(deployment.spec.replicas).toBe(3);
    const pdb = of('PodDisruptionBudget');
    expect(pdb).toHaveLength(1);
    expect(pdb[0].spec).toEqual({ maxUnavailable: 1, selector: deployment.spec.selector });
  });

  test('TCP probes by default, HTTP on request, on the named port', () => {
    const tcp = build().container;
    expect(tcp.readinessProbe.tcpSocket).toEqual({ port: 'http' });
    expect(tcp.livenessProbe.tcpSocket).toEqual({ port: 'http' });
    const http = build({ httpHealthPath: '/healthz', portName: 'web' }).container;
    expect(http.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'web' });
    expect(http.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'web' });
    expect(http.readinessProbe.tcpSocket).toBeUndefined();
  });

  test('a readiness path of its own: readiness and liveness probe different endpoints', () => {
    const c = build({ httpHealthPath: '/healthz', httpReadinessPath: '/readyz' }).container;
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const readyOnly = build({ httpReadinessPath: '/readyz' }).container;
    expect(readyOnly.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(readyOnly.livenessProbe.tcpSocket).toEqual({ port: 'http' });
  });

  test('externalIPs land on the Service, and only when set', () => {
    expect(build({ servicePort: 80, externalIPs: ['203.0.113.10', '2001:db8::1'] }).service.spec.externalIPs).toEqual(['203.0.113.10', '2001:db8::1']);
    expect(build().service.spec).not.toHaveProperty('externalIPs');
    // Outside traffic comes in through the external IPs: the NetworkPolicy admits it on the
    // container port, as behind a LoadBalancer; a plain ClusterIP Service admits no outside traffic.
    expect(build({ servicePort: 80, externalIPs: ['203.0.113.10'] }).of('NetworkPolicy')[0].spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(build().of('NetworkPolicy')[0].spec.ingress).toEqual([]);
  });

  test('apiAccess: its own ServiceAccount, a Role with exactly the rules, bound to that ServiceAccount only; the pod runs as it', () => {
    const { of, pod, svc } = build({
      apiAccess: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'], resourceNames: ['vessel'] }],
    });
    const [sa] = of('ServiceAccount');
    const [role] = of('Role');
    const [binding] = of('RoleBinding');
    expect(sa.metadata).toMatchObject({ name: 'vessel', namespace: 'shippy' });
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'], resourceNames: ['vessel'] }]);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'vessel' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'vessel', namespace: 'shippy' }]);
    expect(pod.serviceAccountName).toBe('vessel');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(svc.apiAccess?.role.name).toBe('vessel');
  });

  test('without apiAccess: no ServiceAccount, no token', () => {
    const { of, pod } = build();
    expect(of('ServiceAccount')).toHaveLength(0);
    expect(of('Role')).toHaveLength(0);
    expect(pod.serviceAccountName).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('apiAccess needs a chart namespace', () => {
    const chart = new Chart(new App(), 'bare', { disableResourceNameHashes: true });
    expect(errorOf(() => new Microservice(chart, 'vessel', { image: 'r/v:1', apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] })))
      .toBe('bare/vessel: apiAccess needs a namespace for the RoleBinding\'s subject: expected the construct in a chart with a namespace');
  });

  test('env keeps its order (for $(VAR) expansion)', () => {
    const env = [{ name: 'USER', value: 'u' }, { name: 'URL', value: 'x://$(USER)@h' }];
    expect(build({ env }).container.env).toEqual(env);
  });

  test('the config hash annotation: same config same hash, changed env or ConfigMap changed hash, unrelated change same hash', () => {
    const hashOf = (props: Partial<MicroserviceProps>, cm = 'debug') => {
      const { deployment, svc } = build(props, (chart) => ({
        envFromConfigMaps: [new kplus.k8s.KubeConfigMap(chart, 'cfg', { metadata: { name: 'vessel-config' }, data: { LOG_LEVEL: cm } })],
      }));
      const hash = deployment.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
      expect(hash).toBe(svc.configHash);
      return hash;
    };
    const env = [{ name: 'DB_HOST', value: 'mongodb://a' }];
    const base = hashOf({ env });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOf({ env })).toBe(base);
    expect(hashOf({ env: [{ name: 'DB_HOST', value: 'mongodb://b' }] })).not.toBe(base);
    expect(hashOf({ env }, 'info')).not.toBe(base);
    expect(hashOf({ env, replicas: 3, image: 'gcr.io/p/vessel-service:2.0.0', resources: { requests: { cpu: '1' } } })).toBe(base);
  });

  test('envFrom ConfigMaps are read by the container', () => {
    const { container } = build({}, (chart) => ({
      envFromConfigMaps: [new kplus.k8s.KubeConfigMap(chart, 'cfg', { metadata: { name: 'vessel-config' }, data: { A: 'b' } })],
    }));
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'vessel-config' } }]);
  });

  test('pod annotations are kept next to the hash', () => {
    const { deployment } = build({ podAnnotations: { 'prometheus.io/scrape': 'true' } });
    expect(Object.keys(deployment.spec.template.metadata.annotations).sort()).toEqual([CONFIG_HASH_ANNOTATION, 'prometheus.io/scrape']);
  });

  test('Pod Security restricted with a read-only root and a writable /tmp; resources with defaults', () => {
    const { pod, container } = build();
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
    const nginx = build({ writablePaths: ['/tmp', '/var/cache/nginx'] });
    expect(nginx.container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }, { name: 'var-cache-nginx', mountPath: '/var/cache/nginx' }]);
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const none = build({ writablePaths: [] });
    expect(none.container.volumeMounts).toBeUndefined();
    expect(none.pod.volumes).toBeUndefined();
  });

  test('labels: recommended on every object, selectors on name and instance', () => {
    const { objects, deployment } = build({ replicas: 2, appName: 'vessel-service', partOf: 'shippy', labels: { tier: 'backend' } });
    for (const o of objects) {
      expect(o.metadata.labels).toEqual({
        tier: 'backend', 'app.kubernetes.io/name': 'vessel-service', 'app.kubernetes.io/instance': 'vessel', 'app.kubernetes.io/component': 'server',
        'app.kubernetes.io/part-of': 'shippy', 'app.kubernetes.io/version': '1.0.0', 'app.kubernetes.io/managed-by': 'mega8s',
      });
    }
    expect(deployment.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'vessel-service', 'app.kubernetes.io/instance': 'vessel' } });
  });

  test('contract ids', () => {
    const { svc } = build({ replicas: 2 });
    expect([svc.deployment.node.id, svc.service.node.id, svc.podDisruptionBudget!.node.id]).toEqual(['Deployment', 'Service', 'Pdb']);
  });

  test('snapshot', () => {
    expect(toYamlDocuments(build({ replicas: 3, args: ['api', '--handler=rpc'], serviceType: ServiceType.LOAD_BALANCER, servicePort: 80, env: [{ name: 'MICRO_API_ADDRESS', value: ':8080' }] }).objects)).toMatchSnapshot();
  });

  const cases: [string, Partial<MicroserviceProps>, string][] = [
    ['a privileged container port', { port: 80 }, 'test/vessel: port 80 is privileged: the container runs without capabilities and cannot bind it; expected 1024 or above (set servicePort to expose 80)'],
    ['a port out of range', { port: 70000 }, 'test/vessel: port 70000 is out of range 1-65535'],
    ['a bad port name', { portName: 'http_port' }, 'test/vessel: portName "http_port" is not a valid port name (at most 15 lowercase letters, digits and \'-\', with at least one letter)'],
    ['an empty image', { image: '' }, 'test/vessel: image "" is empty: expected a non-empty string'],
    ['negative replicas', { replicas: -1 }, 'test/vessel: replicas -1 is out of range: expected at least 0'],
    ['an unknown service type', { serviceType: 'ExternalName' as ServiceType }, 'test/vessel: serviceType "ExternalName" is not one of ClusterIP, LoadBalancer, NodePort, Headless'],
    ['a bad env name', { env: [{ name: 'DB HOST', value: 'x' }] }, 'test/vessel: env name "DB HOST" is not a valid environment variable name (letters, digits, \'_\', \'-\' and \'.\', not starting with a digit)'],
    ['an env var set twice', { env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }, 'test/vessel: env "A" is set twice: expected each name once'],
    ['a relative health path', { httpHealthPath: 'healthz' }, 'test/vessel: httpHealthPath "healthz" is not an absolute URL path (starting with \'/\', no spaces)'],
    ['a relative readiness path', { httpReadinessPath: 'readyz' }, 'test/vessel: httpReadinessPath "readyz" is not an absolute URL path (starting with \'/\', no spaces)'],
    ['an external IP that is not one', { externalIPs: ['node-1'] }, 'test/vessel: externalIPs ["node-1"] is not a non-empty list of IP addresses'],
    ['no external IPs', { externalIPs: [] }, 'test/vessel: externalIPs [] is not a non-empty list of IP addresses'],
    ['an external IP twice', { externalIPs: ['10.0.0.1', '10.0.0.1'] }, 'test/vessel: externalIPs ["10.0.0.1","10.0.0.1"] lists an address twice'],
    ['external IPs on a headless Service', { externalIPs: ['10.0.0.1'], serviceType: ServiceType.HEADLESS }, 'test/vessel: externalIPs ["10.0.0.1"] needs a Service with a cluster IP: expected serviceType other than Headless'],
    ['no API rules', { apiAccess: [] }, 'test/vessel: apiAccess [] is not a non-empty list of rules: expected [{ apiGroups, resources, verbs, resourceNames? }]'],
    ['a wildcard verb', { apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['*' as any] }] }, 'test/vessel: apiAccess [0].verbs ["*"] is not a non-empty list of verbs (get, list, watch, create, update, patch, delete, deletecollection)'],
    ['an escalation verb', { apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['escalate' as any] }] }, 'test/vessel: apiAccess [0].verbs ["escalate"] is not a non-empty list of verbs (get, list, watch, create, update, patch, delete, deletecollection)'],
    ['a wildcard resource', { apiAccess: [{ apiGroups: [''], resources: ['*'], verbs: ['get'] }] }, 'test/vessel: apiAccess [0].resources ["*"] is not a non-empty list of resources (lowercase plural names, optionally /subresource; no wildcards)'],
    ['a wildcard group', { apiAccess: [{ apiGroups: ['*'], resources: ['pods'], verbs: ['get'] }] }, 'test/vessel: apiAccess [0].apiGroups ["*"] is not a non-empty list of API groups (\'\' for the core group; no wildcards)'],
    ['a verb twice', { apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'get'] }] }, 'test/vessel: apiAccess [0].verbs ["get","get"] lists an entry twice'],
    ['create limited by name', { apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['create'], resourceNames: ['x'] }] }, 'test/vessel: apiAccess[0] verbs ["create"] with resourceNames ["x"]: create and deletecollection cannot be limited by name; expected them in a rule without resourceNames'],
    ['a bad resource name', { apiAccess: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'], resourceNames: ['Vessel'] }] }, 'test/vessel: apiAccess [0].resourceNames ["Vessel"] is not a non-empty list of object names'],
    ['a writable root', { writablePaths: ['/'] }, 'test/vessel: writablePaths entry "/" is not an absolute path below /'],
    ['a writable path twice', { writablePaths: ['/tmp', '/tmp'] }, 'test/vessel: writablePaths ["/tmp","/tmp"] lists a path twice'],
    ['two paths with one volume name', { writablePaths: ['/var/run', '/var_run'] }, 'test/vessel: writablePaths entry "/var_run" gives the volume name "var-run", which is empty or taken by another path'],
  ];
  test.each(cases)('%s is an error', (_what, props, message) => {
    expect(errorOf(() => build(props))).toBe(message);
  });

  test('the defaults are the documented ones', () => {
    expect(MICROSERVICE_DEFAULTS).toMatchObject({ port: 8080, portName: 'http', replicas: 1, terminationGraceSeconds: 30 });
  });

  test('autoscaling: an HPA on the Deployment, no spec.replicas, a PDB once more than one pod may run', () => {
    const { deployment, of } = build({ autoscaling: { minReplicas: 1, maxReplicas: 6, cpuUtilization: 60 } });
    expect(deployment.spec).not.toHaveProperty('replicas');
    const [hpa] = of('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'vessel' });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([1, 6]);
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(60);
    expect(of('PodDisruptionBudget')).toHaveLength(1);
  });

  test('scheduling and extra env in mega8s types', () => {
    const { pod, container } = build({
      nodeSelector: { pool: 'web' },
      tolerations: [{ operator: TolerationOperator.EXISTS }],
      env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
    });
    expect(pod.nodeSelector).toEqual({ pool: 'web' });
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(container.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }]);
  });

  test('a cdk8s Lazy in env is a PropError naming the construct path', () => {
    expect(errorOf(() => build({ env: [{ name: 'A', value: Lazy.any({ produce: () => 'x' }) as any }] })))
      .toMatch(/^test\/vessel: env A=a Lazy object is not a string: expected a literal string value/);
  });

  test('its NetworkPolicy admits its clients on its container port (not the Service port), and a LoadBalancer from its source ranges', () => {
    const chart = chartIn();
    const svc = new Microservice(chart, 'ui', {
      image: 'gcr.io/p/ui:1.0.0', serviceType: ServiceType.LOAD_BALANCER, servicePort: 80, loadBalancerSourceRanges: ['198.51.100.0/24'],
    });
    svc.allowFrom({ app: 'probe' }, 'monitoring');
    const objects = Testing.synth(chart);
    const service = objects.find((o) => o.kind === 'Service');
    expect(service.spec.loadBalancerSourceRanges).toEqual(['198.51.100.0/24']);
    expect(service.spec.externalTrafficPolicy).toBe('Local');
    const policy = objects.find((o) => o.kind === 'NetworkPolicy');
    expect(policy.metadata).toMatchObject({ name: 'ui', namespace: 'shippy' });
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { app: 'probe' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
      { from: [{ ipBlock: { cidr: '198.51.100.0/24' } }], ports: [{ protocol: 'TCP', port: 8080 }] },
    ]);
    expect(svc.networkPolicy!.toJson()).toEqual(policy);
  });
});
