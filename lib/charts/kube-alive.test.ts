import * as fs from 'fs';
import { App, Testing } from 'cdk8s';
import { Environment, EnvError, loadEnvironment, loadEnvironments, parseEnvironment } from '../env';
import { chartObjects } from '../synth/build';
import { checkObjects } from '../synth/check';
import { toYamlDocuments } from '../synth/yaml';
import { EXPERIMENTS, KubeAliveChart, kubeAliveChart } from './kube-alive';

const dev = loadEnvironment('envs/dev.env');
const staging = loadEnvironment('envs/staging.env');
const PROGRAMS = [...EXPERIMENTS, 'frontend'] as const;

/** dev.env with `KEY=value` lines replaced or added. */
function devWith(lines: Record<string, string | undefined>): Environment {
  let text = fs.readFileSync('envs/dev.env', 'utf8');
  for (const [key, value] of Object.entries(lines)) {
    const re = new RegExp(`^${key}=.*$\\n?`, 'm');
    text = re.test(text) ? text.replace(re, value === undefined ? '' : `${key}=${value}\n`) : `${text}${key}=${value}\n`;
  }
  return parseEnvironment('dev', 'envs/dev.env', text);
}

function synth(env: Environment = dev) {
  const chart = kubeAliveChart.build(new App(), env) as KubeAliveChart;
  const objects: any[] = Testing.synth(chart);
  const all = (kind: string) => objects.filter((o) => o.kind === kind);
  const find = (kind: string, name: string) => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const pod = (name: string) => find('Deployment', name).spec.template.spec;
  const container = (name: string) => pod(name).containers[0];
  return { chart, objects, all, find, pod, container };
}

describe('kube-alive chart', () => {
  test('is named kube-alive and lives in the restricted namespace kube-alive', () => {
    expect(kubeAliveChart.name).toBe('kube-alive');
    const { find, objects } = synth();
    expect(find('Namespace', 'kube-alive').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('kube-alive');
  });

  test('five programs from one image of the environment, the mode as the argument, each on 8080 behind a Service on 80', () => {
    const { container, find } = synth();
    for (const name of PROGRAMS) {
      const c = container(name);
      expect(c.image).toBe('gcr.io/mega8s-dev/kube-alive:0.1.0');
      expect(c.args).toEqual([name]);
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      const svc = find('Service', name);
      expect(svc.spec.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }]);
      expect(svc.spec.selector).toEqual(find('Deployment', name).spec.selector.matchLabels);
    }
    expect(synth(staging).container('getip').image).toBe('gcr.io/mega8s-staging/kube-alive:0.1.0');
  });

  test('liveness on /healthz, readiness on /readyz; CPU and memory requested by every program', () => {
    const { container } = synth();
    for (const name of PROGRAMS) {
      const c = container(name);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.requests.memory).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
  });

  test('pod name, IP and namespace from the downward API; a read-only root as 65532', () => {
    const { container, pod } = synth();
    for (const name of PROGRAMS) {
      const env = Object.fromEntries(container(name).env.map((e: any) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]));
      expect(env).toMatchObject({ POD_NAME: 'metadata.name', POD_IP: 'status.podIP', POD_NAMESPACE: 'metadata.namespace' });
      expect(container(name).securityContext.readOnlyRootFilesystem).toBe(true);
      expect(pod(name).securityContext.runAsUser).toBe(65532);
      expect(pod(name).volumes).toBeUndefined();
    }
  });

  test('getip runs 4 replicas; healthcheck, incver and frontend a fixed count; cpuhog none (its autoscaler owns it)', () => {
    const { find } = synth();
    expect(find('Deployment', 'getip').spec.replicas).toBe(4);
    expect(find('Deployment', 'healthcheck').spec.replicas).toBe(1);
    expect(find('Deployment', 'incver').spec.replicas).toBe(3);
    expect(find('Deployment', 'frontend').spec.replicas).toBe(2);
    expect(find('Deployment', 'cpuhog').spec).not.toHaveProperty('replicas');
  });

  test("cpuhog's autoscaler per environment: the original repository's 1-5 at 50% in dev, the article's 1-10 at 80% in staging", () => {
    const bounds = (env: Environment) => {
      const { find, all } = synth(env);
      expect(all('HorizontalPodAutoscaler')).toHaveLength(1);
      const hpa = find('HorizontalPodAutoscaler', 'cpuhog');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'cpuhog' });
      return [hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.metrics[0].resource.target.averageUtilization];
    };
    expect(bounds(dev)).toEqual([1, 5, 50]);
    expect(bounds(staging)).toEqual([1, 10, 80]);
    expect(synth().container('cpuhog').resources.requests.cpu).toBe('100m');
  });

  test("incver's Role: apps deployments get and patch on its own Deployment only, bound to its own ServiceAccount only", () => {
    const { find, pod, container } = synth();
    expect(find('Role', 'incver').rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'], resourceNames: ['incver'] }]);
    const binding = find('RoleBinding', 'incver');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'incver' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'incver', namespace: 'kube-alive' }]);
    expect(pod('incver').serviceAccountName).toBe('incver');
    expect(pod('incver').automountServiceAccountToken).toBe(true);
    // The names incver patches are the Deployment and container the chart renders.
    const env = Object.fromEntries(container('incver').env.map((e: any) => [e.name, e.value]));
    expect(env.INCVER_DEPLOYMENT).toBe(find('Deployment', 'incver').metadata.name);
    expect(env.INCVER_CONTAINER).toBe(container('incver').name);
  });

  test("frontend's Role: pods get, list and watch, bound to its own ServiceAccount only", () => {
    const { find, pod } = synth();
    expect(find('Role', 'frontend').rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
    expect(find('RoleBinding', 'frontend').subjects).toEqual([{ kind: 'ServiceAccount', name: 'frontend', namespace: 'kube-alive' }]);
    expect(pod('frontend').serviceAccountName).toBe('frontend');
  });

  test('no bogus subjects, no other API access: only incver and frontend have a ServiceAccount and mount a token', () => {
    const { all, pod } = synth();
    expect(all('ServiceAccount').map((s) => s.metadata.name).sort()).toEqual(['frontend', 'incver']);
    expect(all('Role')).toHaveLength(2);
    for (const b of all('RoleBinding')) {
      expect(b.subjects).toHaveLength(1);
      expect(b.subjects[0].kind).toBe('ServiceAccount');
      expect(b.subjects[0].name).toBe(b.roleRef.name);
    }
    for (const name of ['getip', 'healthcheck', 'cpuhog']) {
      expect(pod(name).serviceAccountName).toBeUndefined();
      expect(pod(name).automountServiceAccountToken).toBe(false);
    }
  });

  test('only the frontend is declared a client of the four experiments', () => {
    const { chart } = synth();
    for (const name of EXPERIMENTS) {
      expect(chart.experiments[name].clients).toEqual([{ podSelector: chart.frontend.selector }]);
    }
    expect(chart.frontend.clients).toEqual([]);
  });

  test('zero trust: the namespace denies all ingress; only the frontend reaches the four experiments (on 8080); the page admits outside traffic', () => {
    const { all, find } = synth();
    const deny = find('NetworkPolicy', 'default-deny-ingress');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    const ingress = all('NetworkPolicy').filter((p) => p.spec.policyTypes.includes('Ingress') && p.metadata.name !== 'default-deny-ingress');
    expect(ingress.map((p) => p.metadata.name)).toEqual([...EXPERIMENTS, 'frontend']);
    const frontendPods = find('Deployment', 'frontend').spec.template.metadata.labels;
    const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    for (const name of EXPERIMENTS) {
      const p = find('NetworkPolicy', name);
      expect(p.spec.podSelector.matchLabels).toEqual(find('Deployment', name).spec.selector.matchLabels);
      expect(p.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend', 'app.kubernetes.io/instance': 'frontend' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }]);
      // The one client selector is the frontend's pods, and no experiment's.
      expect(selects(p.spec.ingress[0].from[0].podSelector.matchLabels, frontendPods)).toBe(true);
      for (const other of EXPERIMENTS) expect(selects(p.spec.ingress[0].from[0].podSelector.matchLabels, find('Deployment', other).spec.template.metadata.labels)).toBe(false);
    }
    // The page: from outside (NodePort in dev; external IPs on request), on its container port.
    const outside = [{ ports: [{ protocol: 'TCP', port: 8080 }] }];
    expect(find('NetworkPolicy', 'frontend').spec.ingress).toEqual(outside);
    expect(synth(devWith({ KUBE_ALIVE_EXPOSE: 'ExternalIPs', KUBE_ALIVE_EXTERNAL_IPS: '203.0.113.10' })).find('NetworkPolicy', 'frontend').spec.ingress).toEqual(outside);
  });

  test('getip, healthcheck and cpuhog open no connection (egress denied); incver and the frontend, which call the API, are not held', () => {
    const { all, find } = synth();
    const egress = all('NetworkPolicy').filter((p) => p.spec.policyTypes.includes('Egress'));
    expect(egress.map((p) => p.metadata.name).sort()).toEqual(['cpuhog-no-egress', 'getip-no-egress', 'healthcheck-no-egress']);
    for (const name of ['getip', 'healthcheck', 'cpuhog']) {
      const p = find('NetworkPolicy', `${name}-no-egress`);
      expect(p.spec.podSelector.matchLabels).toEqual(find('Deployment', name).spec.selector.matchLabels);
      expect(p.spec.egress).toBeUndefined();
    }
    for (const name of ['incver', 'frontend']) {
      const labels = find('Deployment', name).spec.template.metadata.labels;
      const held = egress.filter((p) => Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v));
      expect(held).toEqual([]);
    }
  });

  test('the frontend is exposed per environment: NodePort in dev, LoadBalancer in staging, externalIPs on request', () => {
    expect(synth().find('Service', 'frontend').spec.type).toBe('NodePort');
    expect(synth(staging).find('Service', 'frontend').spec.type).toBe('LoadBalancer');
    const ext = synth(devWith({ KUBE_ALIVE_EXPOSE: 'ExternalIPs', KUBE_ALIVE_EXTERNAL_IPS: '203.0.113.10, 203.0.113.11' })).find('Service', 'frontend');
    expect(ext.spec.type).toBe('ClusterIP');
    expect(ext.spec.externalIPs).toEqual(['203.0.113.10', '203.0.113.11']);
    // The experiments stay inside the cluster whatever the exposure.
    for (const name of EXPERIMENTS) expect(synth(staging).find('Service', name).spec.type).toBe('ClusterIP');
  });

  test('bad settings name the file, the key and what was expected', () => {
    expect(() => kubeAliveChart.build(new App(), devWith({ KUBE_ALIVE_EXPOSE: 'ExternalIPs' })))
      .toThrow('envs/dev.env: KUBE_ALIVE_EXPOSE=ExternalIPs needs KUBE_ALIVE_EXTERNAL_IPS: expected the node addresses the page answers on');
    expect(() => kubeAliveChart.build(new App(), devWith({ KUBE_ALIVE_EXTERNAL_IPS: '10.0.0.1' })))
      .toThrow('envs/dev.env: KUBE_ALIVE_EXTERNAL_IPS is set but KUBE_ALIVE_EXPOSE=NodePort does not use it: expected KUBE_ALIVE_EXPOSE=ExternalIPs, or no KUBE_ALIVE_EXTERNAL_IPS');
    expect(() => kubeAliveChart.build(new App(), devWith({ KUBE_ALIVE_CPUHOG_MIN_REPLICAS: '6' })))
      .toThrow('envs/dev.env: KUBE_ALIVE_CPUHOG_MAX_REPLICAS=5 is below KUBE_ALIVE_CPUHOG_MIN_REPLICAS=6: expected at least 6');
    const loadError = (lines: Record<string, string>) => {
      try {
        devWith(lines);
      } catch (e) {
        expect(e).toBeInstanceOf(EnvError);
        return (e as Error).message;
      }
      throw new Error('expected an EnvError');
    };
    expect(loadError({ KUBE_ALIVE_EXPOSE: 'Ingress' })).toMatch(/^envs\/dev\.env:\d+: KUBE_ALIVE_EXPOSE="Ingress" is invalid: expected one of LoadBalancer, NodePort, ExternalIPs$/);
    expect(loadError({ KUBE_ALIVE_EXTERNAL_IPS: '10.0.0.1,node-2' })).toMatch(/KUBE_ALIVE_EXTERNAL_IPS="10.0.0.1,node-2" is not a list of IP addresses: expected comma-separated IP addresses/);
    expect(loadError({ KUBE_ALIVE_EXTERNAL_IPS: '10.0.0.1,10.0.0.1' })).toMatch(/KUBE_ALIVE_EXTERNAL_IPS="10.0.0.1,10.0.0.1" lists an address twice/);
    expect(loadError({ KUBE_ALIVE_CPUHOG_CPU_UTILIZATION: '0' })).toMatch(/KUBE_ALIVE_CPUHOG_CPU_UTILIZATION="0" is out of range: expected an integer in range 1-100/);
  });

  test('the defaults are the article\'s: a LoadBalancer, cpuhog 1-10 at 80%', () => {
    const env = devWith({
      KUBE_ALIVE_EXPOSE: undefined, KUBE_ALIVE_CPUHOG_MIN_REPLICAS: undefined, KUBE_ALIVE_CPUHOG_MAX_REPLICAS: undefined, KUBE_ALIVE_CPUHOG_CPU_UTILIZATION: undefined,
    });
    const { find } = synth(env);
    expect(find('Service', 'frontend').spec.type).toBe('LoadBalancer');
    const hpa = find('HorizontalPodAutoscaler', 'cpuhog').spec;
    expect([hpa.minReplicas, hpa.maxReplicas, hpa.metrics[0].resource.target.averageUtilization]).toEqual([1, 10, 80]);
  });

  test('passes every synth check for every environment, and with externalIPs', () => {
    const envs = [...loadEnvironments('envs'), devWith({ KUBE_ALIVE_EXPOSE: 'ExternalIPs', KUBE_ALIVE_EXTERNAL_IPS: '203.0.113.10' })];
    for (const env of envs) {
      const chart = kubeAliveChart.build(new App(), env);
      expect(checkObjects(env, chartObjects('kube-alive', chart)).map((p) => p.message)).toEqual([]);
    }
  });

  test('deterministic: two synths give the same bytes', () => {
    expect(toYamlDocuments(synth().objects)).toBe(toYamlDocuments(synth().objects));
  });

  test('dev snapshot', () => {
    expect(toYamlDocuments(synth().objects)).toMatchSnapshot();
  });
});
