import { Testing } from 'cdk8s';
import { GrpcService, ServiceType, PropError } from '.';
import { toYamlDocuments } from '../lib/synth/yaml';

const IMAGE = 'gcr.io/p/grpc-server:1.2.3';

function synth(props: Partial<ConstructorParameters<typeof GrpcService>[2]> = {}, id = 'whoami') {
  const chart = Testing.chart();
  const svc = new GrpcService(chart, id, { image: IMAGE, ...props });
  const objects = Testing.synth(chart);
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  return { svc, objects, deployment: of('Deployment')[0], service: of('Service')[0], pdbs: of('PodDisruptionBudget') };
}

describe('GrpcService', () => {
  test('makes one Deployment and one Service named after the construct, and no PDB for one replica', () => {
    const { objects, deployment, service, pdbs } = synth();
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'NetworkPolicy']);
    expect(deployment.metadata.name).toBe('whoami');
    expect(service.metadata.name).toBe('whoami');
    expect(deployment.spec.replicas).toBe(1);
    expect(pdbs).toHaveLength(0);
  });

  test('the container port and the Service port are named grpc; the Service speaks appProtocol grpc', () => {
    const { deployment, service } = synth();
    const c = deployment.spec.template.spec.containers[0];
    expect(c.ports).toEqual([{ name: 'grpc', containerPort: 10000, protocol: 'TCP' }]);
    expect(service.spec.ports).toEqual([{ name: 'grpc', appProtocol: 'grpc', protocol: 'TCP', port: 10000, targetPort: 'grpc' }]);
  });

  test('readiness and liveness are native gRPC probes on the server port', () => {
    const c = synth({ port: 7000 }).deployment.spec.template.spec.containers[0];
    expect(c.readinessProbe.grpc).toEqual({ port: 7000 });
    expect(c.livenessProbe.grpc).toEqual({ port: 7000 });
    expect(synth({ healthService: 'whoami.v1.WhoAmI' }).deployment.spec.template.spec.containers[0].readinessProbe.grpc)
      .toEqual({ port: 10000, service: 'whoami.v1.WhoAmI' });
  });

  test('the downward API fills POD_NAME, POD_NAMESPACE, POD_IP and NODE_NAME; extra env follows, in the order given', () => {
    const env = synth({ env: [{ name: 'ALPHA', value: 'a' }, { name: 'ZED', value: '1' }] }).deployment.spec.template.spec.containers[0].env;
    expect(env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'ALPHA', value: 'a' },
      { name: 'ZED', value: '1' },
    ]);
  });

  test('pods pass Pod Security "restricted" and have requests and a memory limit', () => {
    const pod = synth().deployment.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('resources merge over the defaults field by field', () => {
    const c = synth({ resources: { requests: { cpu: '1' }, limits: { cpu: '2' } } }).deployment.spec.template.spec.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '1', memory: '64Mi' }, limits: { cpu: '2', memory: '128Mi' } });
  });

  test('selectors use only the stable name and instance labels; every object carries the recommended labels', () => {
    const { deployment, service } = synth({ appName: 'whoami', labels: { grpc: 'true' } }, 'service-007');
    const selector = { 'app.kubernetes.io/name': 'whoami', 'app.kubernetes.io/instance': 'service-007' };
    expect(deployment.spec.selector).toEqual({ matchLabels: selector });
    expect(service.spec.selector).toEqual(selector);
    for (const labels of [deployment.metadata.labels, service.metadata.labels, deployment.spec.template.metadata.labels]) {
      expect(labels).toMatchObject({ ...selector, 'app.kubernetes.io/managed-by': 'mega8s', 'app.kubernetes.io/version': '1.2.3', grpc: 'true' });
    }
  });

  test('the selector does not change when the construct moves in the tree', () => {
    const a = Testing.chart();
    new GrpcService(a, 'api', { image: IMAGE });
    const b = Testing.chart();
    new GrpcService(new GrpcService(b, 'outer', { image: IMAGE }), 'api', { image: IMAGE, name: 'api' });
    const sel = (objs: any[]) => objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api').spec.selector;
    expect(sel(Testing.synth(b))).toEqual(sel(Testing.synth(a)));
  });

  test.each([
    [ServiceType.CLUSTER_IP, 'ClusterIP', undefined],
    [ServiceType.LOAD_BALANCER, 'LoadBalancer', undefined],
    [ServiceType.NODE_PORT, 'NodePort', undefined],
    [ServiceType.HEADLESS, 'ClusterIP', 'None'],
  ])('serviceType %s renders type %s, clusterIP %s', (serviceType, type, clusterIP) => {
    const { service } = synth({ serviceType });
    expect(service.spec.type).toBe(type);
    expect(service.spec.clusterIP).toBe(clusterIP);
  });

  test('more than one replica adds a PodDisruptionBudget on the same selector', () => {
    const { svc, deployment, pdbs } = synth({ replicas: 3 });
    expect(pdbs).toHaveLength(1);
    expect(pdbs[0].apiVersion).toBe('policy/v1');
    expect(pdbs[0].spec).toEqual({ maxUnavailable: 1, selector: deployment.spec.selector });
    expect(svc.podDisruptionBudget).toBeDefined();
  });

  test('command and args are passed through', () => {
    const c = synth({ command: ['/server'], args: ['--port', '10000'] }).deployment.spec.template.spec.containers[0];
    expect(c.command).toEqual(['/server']);
    expect(c.args).toEqual(['--port', '10000']);
  });

  describe('endpoints', () => {
    const endpoints = { service: 'grpc-server.endpoints.p.cloud.goog' };

    test('adds the ESPv2 sidecar, proxying its listener to the server over loopback', () => {
      const { deployment } = synth({ endpoints, port: 10000 });
      const [server, esp] = deployment.spec.template.spec.containers;
      expect(server.name).toBe('server');
      expect(esp.image).toBe('gcr.io/endpoints-release/endpoints-runtime:2');
      expect(esp.args).toEqual([
        '--listener_port=9000', '--backend=grpc://127.0.0.1:10000',
        '--service=grpc-server.endpoints.p.cloud.goog', '--rollout_strategy=managed',
      ]);
      expect(esp.ports).toEqual([{ name: 'esp', containerPort: 9000, protocol: 'TCP' }]);
      expect(esp.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(esp.volumeMounts).toEqual([{ name: 'esp-tmp', mountPath: '/tmp' }]);
    });

    test('the Service targets the sidecar while the gRPC probes still dial the server directly', () => {
      const { deployment, service } = synth({ endpoints });
      expect(service.spec.ports[0].targetPort).toBe('esp');
      const server = deployment.spec.template.spec.containers[0];
      expect(server.readinessProbe.grpc.port).toBe(10000);
      expect(server.livenessProbe.grpc.port).toBe(10000);
    });

    test('the listener port must differ from the server port', () => {
      expect(() => synth({ endpoints: { ...endpoints, listenerPort: 10000 } }))
        .toThrow('test/whoami: endpoints.listenerPort 10000 is the server\'s own port: expected a different port');
    });
  });

  describe('invalid props throw at construction with the construct path', () => {
    test.each([
      [{ port: 70000 }, 'test/whoami: port 70000 is out of range 1-65535'],
      [{ port: 0 }, 'test/whoami: port 0 is out of range 1-65535'],
      [{ replicas: -1 }, 'test/whoami: replicas -1 is out of range: expected at least 0'],
      [{ replicas: 1.5 }, 'test/whoami: replicas 1.5 is not an integer'],
      [{ name: 'Not_A_Label' }, 'test/whoami: name "Not_A_Label" is not a valid DNS-1123 label'],
      [{ image: '' }, 'test/whoami: image "" is empty: expected a non-empty string'],
      [{ image: 'gcr.io/x y' }, 'test/whoami: image "gcr.io/x y" contains white space'],
      [{ serviceType: 'Ingress' as ServiceType }, 'test/whoami: serviceType "Ingress" is not one of ClusterIP, LoadBalancer, NodePort, Headless'],
      [{ resources: { requests: { memory: 'lots' } } }, 'test/whoami: resources.requests.memory "lots" is not a kubernetes quantity'],
      [{ labels: { 'bad key!': 'x' } }, 'test/whoami: labels key "bad key!" is not a valid label key'],
      [{ labels: { team: 'not ok' } }, 'test/whoami: labels team="not ok" is not a valid label value'],
      [{ env: [{ name: 'POD_NAME', value: 'x' }] }, 'test/whoami: env "POD_NAME" is set by the construct itself and cannot be overridden'],
      [{ env: { POD_NAME: 'x' } as any }, 'test/whoami: env {"POD_NAME":"x"} is not a list'],
    ])('%j', (props, message) => {
      let error: unknown;
      try { synth(props as any); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(PropError);
      expect((error as Error).message).toContain(message);
    });
  });

  test('autoscaling renders an autoscaling/v2 HPA on CPU and leaves spec.replicas out of the Deployment', () => {
    const { objects, deployment, pdbs, svc } = synth({ autoscaling: { minReplicas: 2, maxReplicas: 10, cpuUtilization: 70, behavior: { scaleDownStabilizationSeconds: 120 } } });
    expect(deployment.spec).not.toHaveProperty('replicas');
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.metadata.name).toBe('whoami');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'whoami' });
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.maxReplicas).toBe(10);
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    expect(hpa.spec.behavior).toEqual({ scaleDown: { stabilizationWindowSeconds: 120 } });
    expect(pdbs).toHaveLength(1);
    expect(svc.replicas).toBeUndefined();
    expect(svc.autoscaler).toBeDefined();
  });

  test('autoscaling defaults: minReplicas 1, 80% CPU; without it there is no HPA and the output is unchanged', () => {
    const hpa = synth({ autoscaling: { maxReplicas: 3 } }).objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpa.spec.minReplicas).toBe(1);
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(80);
    expect(hpa.spec).not.toHaveProperty('behavior');
    expect(synth().objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'NetworkPolicy']);
  });

  test.each([
    [{ replicas: 3, autoscaling: { maxReplicas: 5 } }, 'test/whoami: replicas 3 conflicts with autoscaling'],
    [{ autoscaling: { minReplicas: 4, maxReplicas: 2 } }, 'test/whoami: autoscaling.maxReplicas 2 is below autoscaling.minReplicas 4'],
    [{ autoscaling: { maxReplicas: NaN } }, 'test/whoami: autoscaling.maxReplicas NaN is not an integer'],
    [{ autoscaling: { maxReplicas: 3, cpuUtilization: 0 } }, 'test/whoami: autoscaling.cpuUtilization 0 is out of range'],
    [{ autoscaling: { maxReplicas: 3 }, resources: { requests: { cpu: '0' } } }, 'test/whoami: autoscaling needs a CPU request'],
  ])('bad autoscaling %j', (props, message) => {
    expect(() => synth(props as any)).toThrow(message);
  });

  test('a workload knows its ports and the clients declared with allowFrom, without changing its objects', () => {
    const { svc, objects } = synth({ endpoints: { service: 'api.endpoints.p.cloud.goog' } });
    expect(svc.ports).toEqual([{ name: 'grpc', port: 10000, protocol: 'TCP' }, { name: 'esp', port: 9000, protocol: 'TCP' }]);
    svc.allowFrom({ app: 'client' }, 'other');
    expect(svc.clients).toEqual([{ podSelector: { app: 'client' }, namespace: 'other' }]);
    expect(() => svc.allowFrom({})).toThrow('test/whoami: allowFrom {} is an empty pod selector');
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'NetworkPolicy']);
  });

  test('its NetworkPolicy admits exactly its clients on its ports, clients named later included', () => {
    const chart = Testing.chart();
    const svc = new GrpcService(chart, 'whoami', { image: IMAGE });
    svc.allowFrom({ app: 'client' });
    svc.allowFrom({ app: 'far' }, 'other');
    const policy = Testing.synth(chart).find((o) => o.kind === 'NetworkPolicy');
    expect(policy.metadata.name).toBe('whoami');
    expect(policy.spec.podSelector).toEqual({ matchLabels: svc.selector });
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([{
      from: [
        { podSelector: { matchLabels: { app: 'client' } } },
        { podSelector: { matchLabels: { app: 'far' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } },
      ],
      ports: [{ protocol: 'TCP', port: 10000 }],
    }]);
    expect(svc.networkPolicy!.toJson()).toEqual(policy);
  });

  test('with no client and a ClusterIP Service, the NetworkPolicy admits nothing', () => {
    const { objects } = synth();
    expect(objects.find((o) => o.kind === 'NetworkPolicy').spec.ingress).toEqual([]);
  });

  test.each([ServiceType.LOAD_BALANCER, ServiceType.NODE_PORT])('a %s Service admits its targeted port from anywhere; clients reach every port', (serviceType) => {
    const chart = Testing.chart();
    const svc = new GrpcService(chart, 'whoami', { image: IMAGE, serviceType, endpoints: { service: 'api.endpoints.p.cloud.goog' } });
    svc.allowFrom({ app: 'client' });
    const objects = Testing.synth(chart);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy');
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ protocol: 'TCP', port: 10000 }, { protocol: 'TCP', port: 9000 }] },
      // The Service targets the sidecar: only its port is open to the outside, with no `from`.
      { ports: [{ protocol: 'TCP', port: 9000 }] },
    ]);
    const service = objects.find((o) => o.kind === 'Service');
    expect(service.spec).not.toHaveProperty('loadBalancerSourceRanges');
    expect(service.spec).not.toHaveProperty('externalTrafficPolicy');
  });

  test('loadBalancerSourceRanges: the Service and the NetworkPolicy admit only those ranges, and the Service keeps client addresses', () => {
    const ranges = ['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32'];
    const { objects } = synth({ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ranges });
    const service = objects.find((o) => o.kind === 'Service');
    expect(service.spec.loadBalancerSourceRanges).toEqual(ranges);
    expect(service.spec.externalTrafficPolicy).toBe('Local');
    expect(objects.find((o) => o.kind === 'NetworkPolicy').spec.ingress).toEqual([
      { from: ranges.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: 10000 }] },
    ]);
  });

  test.each([
    [{ loadBalancerSourceRanges: ['10.0.0.0/8'] }, 'test/whoami: loadBalancerSourceRanges ["10.0.0.0/8"] needs a LoadBalancer Service: serviceType is "ClusterIP"'],
    [{ serviceType: ServiceType.NODE_PORT, loadBalancerSourceRanges: ['10.0.0.0/8'] }, 'needs a LoadBalancer Service: serviceType is "NodePort"'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: [] }, 'test/whoami: loadBalancerSourceRanges [] is not a non-empty list'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: '10.0.0.0/8' }, 'loadBalancerSourceRanges "10.0.0.0/8" is not a non-empty list'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['10.1.2.3/8'] }, 'test/whoami: loadBalancerSourceRanges entry "10.1.2.3/8" is not a CIDR: host bits are set'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['10.0.0.0/33'] }, 'entry "10.0.0.0/33" is not a CIDR: expected a prefix length of 0-32'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['10.0.0.0'] }, 'entry "10.0.0.0" is not a CIDR: expected <address>/<prefix length>'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['256.0.0.0/8'] }, 'entry "256.0.0.0/8" is not a CIDR: expected an IPv4 or IPv6 address'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['2001:db8::1/32'] }, 'entry "2001:db8::1/32" is not a CIDR: host bits are set'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['10.0.0.0/08'] }, 'expected a prefix length of 0-32'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: [' 10.0.0.0/8'] }, 'is not a CIDR'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: [7] }, 'entry 7 is not a CIDR'],
    [{ serviceType: ServiceType.LOAD_BALANCER, loadBalancerSourceRanges: ['10.0.0.0/8', '10.0.0.0/8'] }, 'loadBalancerSourceRanges lists "10.0.0.0/8" twice'],
  ])('bad loadBalancerSourceRanges %j', (props, message) => {
    expect(() => synth(props as any)).toThrow(PropError);
    expect(() => synth(props as any)).toThrow(message);
  });

  test('snapshot: three replicas behind a LoadBalancer with the Endpoints sidecar', () => {
    const { objects } = synth({ replicas: 3, serviceType: ServiceType.LOAD_BALANCER, endpoints: { service: 'api.endpoints.p.cloud.goog' } });
    expect(toYamlDocuments(objects)).toMatchSnapshot();
  });
});
