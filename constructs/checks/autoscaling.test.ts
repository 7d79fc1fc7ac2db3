import { CheckRule, checkObjects, formatProblem } from './check';
import { SynthObject } from './objects';
import { quotaUse } from './quota';

/** A restricted namespace `team` and a Deployment `api` (two containers), made by hand. */
function workload(change: (spec: any) => void = () => {}): SynthObject[] {
  const container = (name: string) => ({
    name, image: `gcr.io/p/${name}:1`,
    resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '64Mi' } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  });
  const spec: any = {
    selector: { matchLabels: { app: 'api' } },
    template: {
      metadata: { labels: { app: 'api' } },
      spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [container('server'), container('proxy')] },
    },
  };
  change(spec);
  return [
    { chart: 'c', path: 'c/ns/Resource', manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } },
    { chart: 'c', path: 'c/ns/DefaultDenyIngress', manifest: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny-ingress', namespace: 'team' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } } },
    { chart: 'c', path: 'c/api/Deployment', manifest: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'team' }, spec } },
  ];
}

function hpa(name: string, spec: any = {}, apiVersion = 'autoscaling/v2'): SynthObject {
  return {
    chart: 'c', path: `c/${name}/Hpa`,
    manifest: {
      apiVersion, kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: 'team' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }, minReplicas: 2, maxReplicas: 10, ...spec },
    },
  };
}

const cpu = (averageUtilization = 70) => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization } } });
const messages = (objects: SynthObject[]) => checkObjects(objects).map(formatProblem);

describe('autoscaling checks', () => {
  test('a workload without replicas under one autoscaler with cpu requests everywhere passes', () => {
    expect(messages([...workload(), hpa('api', { metrics: [cpu()] })])).toEqual([]);
    expect(messages([...workload(), hpa('api', { targetCPUUtilizationPercentage: 70 }, 'autoscaling/v1')])).toEqual([]);
  });

  test('spec.replicas on a workload an autoscaler scales is refused, on the workload', () => {
    const problems = checkObjects([...workload((s) => { s.replicas = 3; }), hpa('api', { metrics: [cpu()] })]);
    expect(problems.map((p) => p.rule)).toEqual([CheckRule.AUTOSCALING]);
    expect(problems[0].object?.path).toBe('c/api/Deployment');
    expect(formatProblem(problems[0])).toBe('Deployment team/api (c/api/Deployment): sets spec.replicas 3, but HorizontalPodAutoscaler team/api (c/api/Hpa) scales it: every kubectl apply would reset the autoscaler\'s count; omit spec.replicas');
    // Without an autoscaler the same replicas are fine.
    expect(messages(workload((s) => { s.replicas = 3; }))).toEqual([]);
  });

  test('an autoscaler on cpu utilization whose target has a container without a cpu request', () => {
    const noCpu = workload((s) => { delete s.template.spec.containers[1].resources.requests.cpu; });
    const expected = 'HorizontalPodAutoscaler team/api (c/api/Hpa): scales on cpu utilization, but container proxy of Deployment team/api requests no cpu: the autoscaler cannot compute its utilization';
    expect(messages([...noCpu, hpa('api', { metrics: [cpu()] })])).toContain(expected);
    // No metrics: autoscaling/v2 defaults to 80% cpu utilization; autoscaling/v1 always scales on cpu.
    expect(messages([...noCpu, hpa('api')])).toContain(expected);
    expect(messages([...noCpu, hpa('api', {}, 'autoscaling/v1')])).toContain(expected);
    // Only the named container counts for a ContainerResource metric.
    const perContainer = (container: string) => hpa('api', { metrics: [{ type: 'ContainerResource', containerResource: { name: 'cpu', container, target: { type: 'Utilization', averageUtilization: 60 } } }] });
    expect(messages([...noCpu, perContainer('server')]).filter((m) => m.includes('autoscal'))).toEqual([]);
    expect(messages([...noCpu, perContainer('proxy')])).toContain(expected);
    // Scaling on memory, or on an absolute cpu value, needs no cpu request.
    const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 60 } } };
    const cpuValue = { type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '200m' } } };
    expect(messages([...noCpu, hpa('api', { metrics: [memory, cpuValue] })]).filter((m) => m.includes('autoscal'))).toEqual([]);
  });

  test('two autoscalers on one target: the second is refused, naming the first', () => {
    const out = messages([...workload(), hpa('api', { metrics: [cpu()] }), hpa('api-2', { metrics: [cpu(50)] })]);
    expect(out).toEqual(['HorizontalPodAutoscaler team/api-2 (c/api-2/Hpa): scales Deployment team/api, which HorizontalPodAutoscaler team/api (c/api/Hpa) already scales: two autoscalers would fight over its replicas']);
  });

  test('an autoscaler whose target is not in the output', () => {
    const lost = hpa('api', { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone' } });
    expect(messages([...workload(), lost])).toEqual(['HorizontalPodAutoscaler team/api (c/api/Hpa): scaleTargetRef Deployment gone is not in the output']);
  });

  test('the cpu quota counts an autoscaled workload at its maxReplicas', () => {
    const [cpus] = quotaUse([...workload(), hpa('api', { metrics: [cpu()] })]).filter((u) => u.quota === 'cpus');
    // Two containers of 250m each, at up to 10 replicas.
    expect(cpus.need).toBe(5);
    expect(checkObjects([...workload(), hpa('api')], { quotas: { cpus: 4 } }).map(formatProblem))
      .toEqual(['quota cpus exceeded: the output needs 5 CPUs, the limit is 4; biggest consumers: Deployment team/api (5)']);
  });
});
