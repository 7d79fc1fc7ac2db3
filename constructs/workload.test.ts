import { App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { PropError } from './validate';
import { NodeSelectorOperator, TaintEffect, TolerationOperator, Workload, WorkloadProps } from './workload';
import { restrictedContainerSecurityContext } from './security';

/** A construct built on the base, the way a new one is written: identity, a container, objects. */
interface EchoProps extends WorkloadProps {
  readonly image: string;
}

class Echo extends Workload {
  public readonly deployment;
  constructor(scope: Construct, id: string, props: EchoProps) {
    super(scope, id, props, {
      appName: 'echo',
      component: 'server',
      image: props.image,
      defaults: { resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } }, terminationGraceSeconds: 5, replicas: 2 },
      autoscaling: true,
      reservedEnv: ['PORT'],
    });
    this.addPort({ name: 'http', port: 8080, protocol: 'TCP' });
    this.deployment = this.object('Deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: {
        ...(this.replicas !== undefined ? { replicas: this.replicas } : {}),
        selector: { matchLabels: this.selector },
        template: this.podTemplate({
          containers: [{
            name: 'echo', image: props.image, env: [{ name: 'PORT', value: '8080' }, ...this.env],
            resources: this.resources, securityContext: restrictedContainerSecurityContext(),
          }],
        }, { 'example.com/extra': 'x' }),
      },
    });
    this.addAutoscaler(this.deployment);
  }
}

function synth(props: Partial<EchoProps> = {}) {
  const chart = new Chart(new App(), 'test', { namespace: 'team', disableResourceNameHashes: true });
  const echo = new Echo(chart, 'echo', { image: 'r/echo:2.1', ...props });
  const objects = Testing.synth(chart);
  const deployment = objects.find((o) => o.kind === 'Deployment');
  return { echo, objects, deployment, pod: deployment.spec.template.spec, container: deployment.spec.template.spec.containers[0] };
}

describe('Workload (the base every construct extends)', () => {
  test('identity: recommended labels everywhere, a selector on name and instance only, version from the image tag', () => {
    const { echo, deployment } = synth({ partOf: 'demo', labels: { team: 'a' } });
    expect(echo.selector).toEqual({ 'app.kubernetes.io/name': 'echo', 'app.kubernetes.io/instance': 'echo' });
    expect(deployment.metadata.labels).toEqual({
      team: 'a', 'app.kubernetes.io/name': 'echo', 'app.kubernetes.io/instance': 'echo', 'app.kubernetes.io/component': 'server',
      'app.kubernetes.io/part-of': 'demo', 'app.kubernetes.io/version': '2.1', 'app.kubernetes.io/managed-by': 'mega8s',
    });
    expect(deployment.spec.template.metadata.labels).toEqual(deployment.metadata.labels);
    expect(deployment.spec.selector.matchLabels).toEqual(echo.selector);
  });

  test('the pod: restricted security context, no token, no service links, grace, annotations (podAnnotations first)', () => {
    const { pod, deployment } = synth({ runAsUser: 1000, podAnnotations: { 'example.com/extra': 'mine', note: 'n' } });
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.terminationGracePeriodSeconds).toBe(5);
    expect(deployment.spec.template.metadata.annotations).toEqual({ 'example.com/extra': 'x', note: 'n' });
  });

  test('resources merge over the defaults; env keeps its order after the construct\'s own', () => {
    const { container } = synth({ resources: { limits: { cpu: '1' } }, env: [{ name: 'Z', value: '1' }, { name: 'A', value: '2' }] });
    expect(container.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '1', memory: '32Mi' } });
    expect(container.env.map((e: any) => e.name)).toEqual(['PORT', 'Z', 'A']);
  });

  test('scheduling in mega8s types renders as Kubernetes expects', () => {
    const { pod } = synth({
      nodeSelector: { pool: 'web' },
      tolerations: [{ key: 'spot', operator: TolerationOperator.EQUAL, value: 'true', effect: TaintEffect.NO_EXECUTE, tolerationSeconds: 30 }, { operator: TolerationOperator.EXISTS }],
      nodeAffinity: {
        required: [[{ key: 'zone', operator: NodeSelectorOperator.IN, values: ['a', 'b'] }], [{ key: 'gpu', operator: NodeSelectorOperator.DOES_NOT_EXIST }]],
        preferred: [{ weight: 10, requirements: [{ key: 'cores', operator: NodeSelectorOperator.GT, values: ['4'] }] }],
      },
    });
    expect(pod.nodeSelector).toEqual({ pool: 'web' });
    expect(pod.tolerations).toEqual([{ key: 'spot', operator: 'Equal', value: 'true', effect: 'NoExecute', tolerationSeconds: 30 }, { operator: 'Exists' }]);
    expect(pod.affinity.nodeAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
        { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] },
      ] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] } }],
    });
  });

  test('autoscaling: HPA present, replicas gone; without it, replicas from the defaults and no HPA', () => {
    const scaled = synth({ autoscaling: { maxReplicas: 5 } });
    expect(scaled.deployment.spec.replicas).toBeUndefined();
    expect(scaled.objects.map((o) => o.kind)).toEqual(['Deployment', 'HorizontalPodAutoscaler']);
    expect(scaled.echo.maxPods).toBe(5);
    const fixed = synth();
    expect(fixed.deployment.spec.replicas).toBe(2);
    expect(fixed.objects.map((o) => o.kind)).toEqual(['Deployment']);
  });

  test.each([
    [{ env: [{ name: 'PORT', value: '1' }] }, 'env "PORT" is set by the construct itself'],
    [{ env: [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'x' } } }] }, 'env "A" has both value and valueFrom'],
    [{ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'Bad Name', key: 'k' } } }] }, 'names no valid object and key'],
    [{ tolerations: [{ operator: TolerationOperator.EXISTS, value: 'x' }] }, 'has a value with operator Exists'],
    [{ tolerations: [{ key: 'k', tolerationSeconds: 5 }] }, 'tolerations tolerationSeconds 5 needs effect NoExecute: expected effect NoExecute, or no tolerationSeconds'],
    [{ nodeAffinity: { required: [[{ key: 'k', operator: NodeSelectorOperator.GT, values: ['x'] }]] } }, 'expected exactly one integer'],
    [{ nodeAffinity: { preferred: [{ weight: 0, requirements: [{ key: 'k', operator: NodeSelectorOperator.EXISTS }] }] } }, 'nodeAffinity.preferred.weight 0 is out of range'],
    [{ resources: { requests: { memory: '1025Mi' }, limits: { memory: '1Gi' } } }, 'resources.requests.memory "1025Mi" is above resources.limits.memory "1Gi"'],
  ])('%j is refused', (props, message) => {
    let error: unknown;
    try { synth(props as any); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(PropError);
    expect((error as Error).message.startsWith('test/echo: ')).toBe(true);
    expect((error as Error).message).toContain(message);
  });

  test('a request equal to its limit, in other units, is fine', () => {
    expect(synth({ resources: { requests: { memory: '1024Mi', cpu: '1000m' }, limits: { memory: '1Gi', cpu: '1' } } }).container.resources.limits).toEqual({ cpu: '1', memory: '1Gi' });
  });

  test('apiAccess is refused by a construct that does not render it', () => {
    expect(() => synth({ apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }))
      .toThrow('test/echo: apiAccess [{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}] is not supported by this construct');
  });
});
