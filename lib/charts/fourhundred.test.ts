import { Testing } from 'cdk8s';
import { loadEnvironment, parseEnvironment } from '../env';
import { chartObjects } from '../synth/build';
import { toYamlDocuments } from '../synth/yaml';
import { FourHundredChart } from './fourhundred';
import { LOADTEST_NAMESPACE, loadTestWorkerLabels } from './loadtest-workers';

function objectsFor(file: string) {
  const env = loadEnvironment(file);
  return chartObjects('fourhundred', new FourHundredChart(Testing.app(), env)).map((o) => o.manifest as any);
}

describe('fourhundred chart', () => {
  test('dev: a restricted namespace and 10 whoami services on ClusterIP', () => {
    const objects = objectsFor('envs/dev.env');
    const ns = objects.find((o) => o.kind === 'Namespace');
    expect(ns.metadata.name).toBe('fourhundred');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services.map((s) => s.metadata.name)).toEqual(Array.from({ length: 10 }, (_, i) => `service-00${i}`));
    expect(new Set(services.map((s) => s.spec.type))).toEqual(new Set(['ClusterIP']));
    expect(objects.filter((o) => o.kind === 'Deployment')).toHaveLength(10);
    expect(objects.some((o) => o.metadata.name === 'grpc-server')).toBe(false);
  });

  test('prod: 400 whoami services on LoadBalancer, port 10000, labelled grpc=true service=whoami, plus the Endpoints-fronted grpc-server', () => {
    const objects = objectsFor('envs/prod.env');
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services).toHaveLength(401);
    for (const s of services) {
      expect(s.metadata.namespace).toBe('fourhundred');
      expect(s.spec.type).toBe('LoadBalancer');
      expect(s.spec.ports[0]).toMatchObject({ port: 10000, protocol: 'TCP' });
    }
    const whoami = services.filter((s) => s.metadata.labels.service === 'whoami');
    expect(whoami).toHaveLength(400);
    expect(whoami.every((s) => s.metadata.labels.grpc === 'true')).toBe(true);
    expect(whoami[399].metadata.name).toBe('service-399');
    const pods = objects.filter((o) => o.kind === 'Deployment' && o.metadata.name !== 'grpc-server').map((d) => d.spec.template.metadata.labels);
    expect(pods).toHaveLength(400);
    expect(pods.every((l) => l.grpc === 'true' && l.service === 'whoami')).toBe(true);
    const server = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'grpc-server');
    expect(server.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['server', 'esp']);
    expect(server.spec.template.spec.containers[1].args).toContain('--service=grpc-server.endpoints.mega8s-prod.cloud.goog');
    expect(server.spec.template.spec.containers[0].image).toBe('gcr.io/mega8s-prod/grpc-server:0.1.0');
  });

  test('staging: 100 services on LoadBalancer', () => {
    const services = objectsFor('envs/staging.env').filter((o) => o.kind === 'Service');
    expect(services).toHaveLength(100);
    expect(services.every((s) => s.spec.type === 'LoadBalancer')).toBe(true);
  });

  test('the image comes from the environment', () => {
    const env = parseEnvironment('qa', 'envs/qa.env', ['IMAGE_REGISTRY=registry.example.com:5000/team', 'IMAGE_TAG=2.3.4', 'FOURHUNDRED_FLEET_SIZE=1', 'QUOTA_FORWARDING_RULES=0', 'QUOTA_TARGET_POOLS=0', 'QUOTA_FIREWALLS=0', 'QUOTA_CPUS=1', 'QUOTA_DISK_GB=0'].join('\n'));
    const objects = chartObjects('fourhundred', new FourHundredChart(Testing.app(), env)).map((o) => o.manifest as any);
    expect(objects.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].image).toBe('registry.example.com:5000/team/grpc-server:2.3.4');
  });

  const qa = (extra: string[]) => parseEnvironment('qa', 'envs/qa.env', ['IMAGE_REGISTRY=gcr.io/p', 'IMAGE_TAG=1', 'FOURHUNDRED_FLEET_SIZE=2', 'QUOTA_FORWARDING_RULES=9', 'QUOTA_TARGET_POOLS=9', 'QUOTA_FIREWALLS=9', 'QUOTA_CPUS=9', 'QUOTA_DISK_GB=0', ...extra].join('\n'));
  const objectsOf = (env: ReturnType<typeof qa>) => chartObjects('fourhundred', new FourHundredChart(Testing.app(), env)).map((o) => o.manifest as any);

  test('zero trust: the namespace denies all ingress; each whoami service admits its in-namespace clients and the loadtest workers, and outside traffic only behind a LoadBalancer', () => {
    const dev = objectsFor('envs/dev.env');
    expect(dev.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny-ingress')).toHaveLength(1);
    const workers = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': LOADTEST_NAMESPACE } },
      podSelector: { matchLabels: loadTestWorkerLabels('whoami') },
    };
    const client = { from: [workers, { podSelector: { matchLabels: { 'mega8s.io/client-of': 'whoami' } } }], ports: [{ protocol: 'TCP', port: 10000 }] };
    const devPolicy = dev.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'service-000');
    expect(devPolicy.spec.ingress).toEqual([client]);
    const staging = objectsFor('envs/staging.env').find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'service-099');
    expect(staging.spec.ingress).toEqual([client, { ports: [{ protocol: 'TCP', port: 10000 }] }]);
  });

  test('FOURHUNDRED_LOAD_BALANCER_SOURCE_RANGES limits the LoadBalancers (whoami and grpc-server) to those ranges', () => {
    const objects = objectsOf(qa(['FOURHUNDRED_SERVICE_TYPE=LoadBalancer', 'FOURHUNDRED_ENDPOINTS_SERVICE=e.endpoints.p.cloud.goog', 'FOURHUNDRED_LOAD_BALANCER_SOURCE_RANGES=203.0.113.0/24, 198.51.100.0/24']));
    const ranges = ['203.0.113.0/24', '198.51.100.0/24'];
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services.map((s) => s.metadata.name)).toEqual(['service-000', 'service-001', 'grpc-server']);
    for (const s of services) {
      expect(s.spec.loadBalancerSourceRanges).toEqual(ranges);
      expect(s.spec.externalTrafficPolicy).toBe('Local');
    }
    const server = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'grpc-server');
    expect(server.spec.ingress).toEqual([{ from: ranges.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: 9000 }] }]);
    // On ClusterIP the ranges do not apply to the fleet (only to grpc-server).
    const cluster = objectsOf(qa(['FOURHUNDRED_LOAD_BALANCER_SOURCE_RANGES=203.0.113.0/24']));
    expect(cluster.find((o) => o.kind === 'Service').spec).not.toHaveProperty('loadBalancerSourceRanges');
  });

  test.each(['10.0.0.1/8', '10.0.0.0/8,10.0.0.0/8', 'nope', '10.0.0.0/8,'])('a bad FOURHUNDRED_LOAD_BALANCER_SOURCE_RANGES %j is refused by the loader', (value) => {
    expect(() => qa([`FOURHUNDRED_LOAD_BALANCER_SOURCE_RANGES=${value}`])).toThrow('FOURHUNDRED_LOAD_BALANCER_SOURCE_RANGES');
  });

  test('snapshot (dev, YAML)', () => {
    expect(toYamlDocuments(objectsFor('envs/dev.env'))).toMatchSnapshot();
  });
});
