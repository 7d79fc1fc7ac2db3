import * as fs from 'fs';
import { App, Testing } from 'cdk8s';
import { CONFIG_HASH_ANNOTATION } from '../../constructs/config-hash';
import { Environment, loadEnvironment, loadEnvironments, parseEnvironment } from '../env';
import { chartObjects } from '../synth/build';
import { checkObjects } from '../synth/check';
import { toYamlDocuments } from '../synth/yaml';
import { MONGO_SERVICES, ShippyChart, shippyChart } from './shippy';

const dev = loadEnvironment('envs/dev.env');

function synth(env: Environment = dev) {
  const chart = shippyChart.build(new App(), env) as ShippyChart;
  const objects: any[] = Testing.synth(chart);
  const find = (kind: string, name: string) => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const container = (name: string) => find('Deployment', name).spec.template.spec.containers[0];
  const envOf = (name: string) => Object.fromEntries(container(name).env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
  return { chart, objects, find, container, envOf };
}

const mongoHosts = [0, 1, 2].map((i) => `mongo-${i}.mongo.shippy.svc.cluster.local:27017`).join(',');

describe('shippy chart', () => {
  test('is named shippy and lives in the restricted namespace shippy', () => {
    expect(shippyChart.name).toBe('shippy');
    const { find, objects } = synth();
    const ns = find('Namespace', 'shippy');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const o of objects.filter((x) => !['Namespace', 'StorageClass'].includes(x.kind))) expect(o.metadata.namespace).toBe('shippy');
  });

  test('the fast StorageClass, and both databases claim 10Gi on it', () => {
    const { find } = synth();
    const fast = find('StorageClass', 'fast');
    expect(fast.metadata.namespace).toBeUndefined();
    expect(fast.provisioner).toBe('pd.csi.storage.gke.io');
    expect(fast.parameters.type).toBe('pd-ssd');
    expect(fast.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(fast.allowVolumeExpansion).toBe(true);
    for (const name of ['mongo', 'postgres']) {
      const claim = find('StatefulSet', name).spec.volumeClaimTemplates[0];
      expect(claim.spec.storageClassName).toBe('fast');
      expect(claim.spec.resources.requests.storage).toBe('10Gi');
    }
  });

  test('MongoDB: replica set mongo of 3 members, rs0, behind a headless Service', () => {
    const { find, chart } = synth();
    const sts = find('StatefulSet', 'mongo');
    expect(sts.spec.replicas).toBe(3);
    const args: string[] = sts.spec.template.spec.containers[0].args;
    expect(args[args.indexOf('--replSet') + 1]).toBe('rs0');
    expect(find('Service', 'mongo').spec.clusterIP).toBe('None');
    expect(chart.mongo.connectionString).toBe(`mongodb://${mongoHosts}/?replicaSet=rs0`);
  });

  test('Postgres for the user service: one primary', () => {
    const { find } = synth();
    expect(find('StatefulSet', 'postgres').spec.replicas).toBe(1);
    expect(find('Service', 'postgres').spec.clusterIP).toBe('None');
  });

  test('vessel, consignment and email connect as their own user, readWrite on their own database, never as admin', () => {
    const { container, envOf } = synth();
    for (const name of MONGO_SERVICES) {
      const c = container(name);
      expect(c.image).toBe(`gcr.io/mega8s-dev/${name}-service:0.1.0`);
      expect(c.args).toEqual(['--selector=static', '--server_address=:8080']);
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      const env = envOf(name);
      expect(env.DB_HOST).toBe(`mongodb://$(MONGODB_USERNAME):$(MONGODB_PASSWORD)@${mongoHosts}/${name}?replicaSet=rs0&authSource=${name}`);
      expect(env.MONGODB_USERNAME).toBe(name);
      expect(env.DB_HOST).not.toContain('mongo:27017');
      // $(VAR) expansion needs the credentials first.
      expect(c.env.map((e: any) => e.name)).toEqual(['MONGODB_USERNAME', 'MONGODB_PASSWORD', 'DB_HOST']);
      expect(env.MONGODB_PASSWORD).toEqual({ secretKeyRef: { name: `mongo-${name}-auth`, key: 'password' } });
    }
    const { chart } = synth();
    expect(chart.mongo.users.map((u) => [u.name, u.database])).toEqual(MONGO_SERVICES.map((n) => [n, n]));
  });

  test('user connects as its own role user, owner of database users, not as the superuser', () => {
    const { container, envOf } = synth();
    expect(container('user').image).toBe('gcr.io/mega8s-dev/user-service:0.1.0');
    expect(container('user').args).toEqual(['--selector=static', '--server_address=:8080']);
    expect(envOf('user')).toEqual({
      DB_HOST: 'postgres.shippy.svc.cluster.local',
      DB_PORT: '5432',
      DB_NAME: 'users',
      DB_USER: 'user',
      DB_PASSWORD: { secretKeyRef: { name: 'postgres-user-auth', key: 'password' } },
    });
    expect(synth().chart.postgres.roles).toEqual([{ name: 'user', database: 'users', passwordSecretName: 'postgres-user-auth', passwordSecretKey: 'password' }]);
  });

  test('each service has a Service on 8080', () => {
    const { find } = synth();
    for (const name of [...MONGO_SERVICES, 'user']) {
      const svc = find('Service', name);
      expect(svc.spec.type).toBe('ClusterIP');
      expect(svc.spec.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 'http' }]);
    }
  });

  test('the micro API gateway: 3 replicas, api --handler=rpc --namespace=shippy, LoadBalancer 80 -> 8080', () => {
    const { find, container, envOf } = synth();
    expect(find('Deployment', 'micro').spec.replicas).toBe(3);
    expect(container('micro').image).toBe('gcr.io/mega8s-dev/micro:0.1.0');
    expect(container('micro').args).toEqual(['api', '--handler=rpc', '--namespace=shippy']);
    expect(envOf('micro')).toEqual({ MICRO_API_ADDRESS: ':8080' });
    expect(container('micro').ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    const svc = find('Service', 'micro');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }]);
  });

  test('the UI behind a LoadBalancer on 80 -> 8080', () => {
    const { find, container } = synth();
    expect(container('ui').image).toBe('gcr.io/mega8s-dev/ui:0.1.0');
    expect(container('ui').ports[0].containerPort).toBe(8080);
    const svc = find('Service', 'ui');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
  });

  test('only the services that use a database reach it', () => {
    const { find } = synth();
    const nameOf = (peer: any) => peer.podSelector.matchLabels['app.kubernetes.io/name'];
    const mongo = find('NetworkPolicy', 'mongo');
    expect(mongo.spec.ingress.map((r: any) => r.from.map(nameOf))).toEqual([['mongodb'], ['vessel', 'consignment', 'email']]);
    for (const rule of mongo.spec.ingress) expect(rule.ports).toEqual([{ protocol: 'TCP', port: 27017 }]);
    const postgres = find('NetworkPolicy', 'postgres');
    expect(postgres.spec.ingress.map((r: any) => r.from.map(nameOf))).toEqual([['user']]);
    expect(postgres.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 5432 }]);
  });

  test('each service admits only its callers on 8080; the gateway and the UI admit outside traffic; the namespace denies the rest', () => {
    const { find, objects } = synth();
    expect(find('NetworkPolicy', 'default-deny-ingress').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    const nameOf = (peer: any) => peer.podSelector.matchLabels['app.kubernetes.io/name'];
    const callers = (name: string) => find('NetworkPolicy', name).spec.ingress.filter((r: any) => r.from).flatMap((r: any) => r.from.map(nameOf));
    expect(callers('vessel')).toEqual(['micro', 'consignment']);
    expect(callers('consignment')).toEqual(['micro']);
    expect(callers('email')).toEqual(['micro', 'user']);
    expect(callers('user')).toEqual(['micro']);
    for (const name of ['micro', 'ui']) expect(find('NetworkPolicy', name).spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(objects.filter((o) => o.kind === 'NetworkPolicy')).toHaveLength(9);
  });

  test('SHIPPY_LOAD_BALANCER_SOURCE_RANGES limits the gateway and the UI to those ranges', () => {
    const env = parseEnvironment('qa', 'envs/qa.env', `${fs.readFileSync('envs/dev.env', 'utf8')}\nSHIPPY_LOAD_BALANCER_SOURCE_RANGES=203.0.113.0/24,2001:db8::/32\n`);
    const { find } = synth(env);
    for (const name of ['micro', 'ui']) {
      expect(find('Service', name).spec.loadBalancerSourceRanges).toEqual(['203.0.113.0/24', '2001:db8::/32']);
      expect(find('NetworkPolicy', name).spec.ingress).toEqual([{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }, { ipBlock: { cidr: '2001:db8::/32' } }], ports: [{ protocol: 'TCP', port: 8080 }] }]);
    }
    expect(find('Service', 'vessel').spec).not.toHaveProperty('loadBalancerSourceRanges');
  });

  test('every workload carries a config hash instead of an UPDATED_AT date', () => {
    const { objects } = synth();
    const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
    expect(workloads.map((w) => w.metadata.name).sort()).toEqual(['consignment', 'email', 'micro', 'mongo', 'postgres', 'ui', 'user', 'vessel']);
    for (const w of workloads) {
      expect(w.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{64}$/);
      for (const c of w.spec.template.spec.containers) expect((c.env ?? []).some((e: any) => e.name === 'UPDATED_AT')).toBe(false);
    }
  });

  test('config hash: the same config gives the same hash; a new image tag is not a config change', () => {
    const hashes = (env: Environment) => Object.fromEntries(synth(env).objects
      .filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))
      .map((w) => [w.metadata.name, w.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]]));
    const base = hashes(dev);
    expect(hashes(dev)).toEqual(base);
    const text = require('fs').readFileSync('envs/dev.env', 'utf8').replace(/^IMAGE_TAG=.*$/m, 'IMAGE_TAG=0.2.0');
    const retagged = parseEnvironment('dev', 'envs/dev.env', text);
    expect(synth(retagged).container('vessel').image).toBe('gcr.io/mega8s-dev/vessel-service:0.2.0');
    expect(hashes(retagged)).toEqual(base);
    // Services with different configuration have different hashes.
    expect(base.vessel).not.toBe(base.consignment); // each its own user and database
    expect(base.micro).toBe(synth().objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'micro').spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]);
    expect(base.user).not.toBe(base.vessel);
  });

  test('passes every synth check for every environment', () => {
    for (const env of loadEnvironments('envs')) {
      const chart = shippyChart.build(new App(), env);
      const problems = checkObjects(env, chartObjects('shippy', chart)).map((p) => p.message);
      expect(problems).toEqual([]);
    }
  });

  test('deterministic: two synths give the same bytes', () => {
    expect(toYamlDocuments(synth().objects)).toBe(toYamlDocuments(synth().objects));
  });

  test('dev snapshot', () => {
    expect(toYamlDocuments(synth().objects)).toMatchSnapshot();
  });
});
