import { JsonPatch, Testing } from 'cdk8s';
import { BlueGreenProbe, BlueGreenService, BlueGreenServiceProps, Color, PropError, ServiceType } from '.';
import { toYamlDocuments } from '../lib/synth/yaml';
import { chartObjects } from '../lib/synth/build';

const BASE: BlueGreenServiceProps = {
  imageRepository: 'gcr.io/p/todo-api',
  blueTag: '1.0.0',
  greenTag: '1.1.0',
  activeColor: Color.BLUE,
  port: 10000,
  portName: 'grpc',
  appProtocol: 'grpc',
  probe: BlueGreenProbe.grpc(),
};

function synth(props: Partial<BlueGreenServiceProps> = {}) {
  const chart = Testing.chart();
  const bg = new BlueGreenService(chart, 'todo-api', { ...BASE, ...props });
  const objects: any[] = Testing.synth(chart);
  const find = (kind: string, name: string) => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  return { chart, bg, objects, find, of };
}

/** Whether a Service's selector selects a Deployment's pods. */
function selects(service: any, deployment: any): boolean {
  const labels = deployment.spec.template.metadata.labels;
  return Object.entries(service.spec.selector).every(([k, v]) => labels[k] === v);
}

const ERRORS = /Validation failed/;

describe('BlueGreenService', () => {
  test('two colour Deployments, each with its own tag; the public and the preview Service; one NetworkPolicy', () => {
    const { find, objects } = synth();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Deployment/todo-api-blue', 'Deployment/todo-api-green', 'Service/todo-api-preview', 'Service/todo-api', 'NetworkPolicy/todo-api',
    ]);
    expect(find('Deployment', 'todo-api-blue').spec.template.spec.containers[0].image).toBe('gcr.io/p/todo-api:1.0.0');
    expect(find('Deployment', 'todo-api-green').spec.template.spec.containers[0].image).toBe('gcr.io/p/todo-api:1.1.0');
    expect(find('Deployment', 'todo-api-blue').metadata.labels['app.kubernetes.io/version']).toBe('1.0.0');
    expect(find('Deployment', 'todo-api-green').spec.template.metadata.labels['app.kubernetes.io/version']).toBe('1.1.0');
  });

  test('one ingress NetworkPolicy for both colours: the declared clients on the port, outside traffic only behind a LoadBalancer', () => {
    const client = { 'app.kubernetes.io/name': 'todo-api', 'app.kubernetes.io/instance': 'todo-api-smoke' };
    const chart = Testing.chart();
    const bg = new BlueGreenService(chart, 'todo-api', { ...BASE, smokeJob: { args: ['smoke'] } });
    bg.allowFrom(client);
    bg.allowFrom({ app: 'load' }, 'loadtest');
    const policy = Testing.synth(chart).find((o: any) => o.kind === 'NetworkPolicy');
    expect(bg.networkPolicy).toBeDefined();
    expect(policy.metadata.name).toBe('todo-api');
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: bg.selector },
      policyTypes: ['Ingress'],
      ingress: [{
        from: [
          { podSelector: { matchLabels: client } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'loadtest' } }, podSelector: { matchLabels: { app: 'load' } } },
        ],
        ports: [{ protocol: 'TCP', port: 10000 }],
      }],
    });
    // It protects both colours, and not the Jobs' pods (which listen on nothing).
    const { find, of } = synth({ serviceType: ServiceType.LOAD_BALANCER, smokeJob: { args: ['smoke'] } });
    const lb = find('NetworkPolicy', 'todo-api');
    for (const color of ['blue', 'green']) expect(selects({ spec: { selector: lb.spec.podSelector.matchLabels } }, find('Deployment', `todo-api-${color}`))).toBe(true);
    expect(selects({ spec: { selector: lb.spec.podSelector.matchLabels } }, of('Job')[0])).toBe(false);
    expect(lb.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 10000 }] }]);
  });

  test.each([Color.BLUE, Color.GREEN])('active %s: the public Service selects exactly its pods, the preview exactly the other colour\'s', (active) => {
    const { find } = synth({ activeColor: active });
    const idle = active === Color.BLUE ? Color.GREEN : Color.BLUE;
    const pub = find('Service', 'todo-api');
    const preview = find('Service', 'todo-api-preview');
    expect(pub.spec.selector['mega8s.io/color']).toBe(active);
    expect(preview.spec.selector['mega8s.io/color']).toBe(idle);
    expect(selects(pub, find('Deployment', `todo-api-${active}`))).toBe(true);
    expect(selects(pub, find('Deployment', `todo-api-${idle}`))).toBe(false);
    expect(selects(preview, find('Deployment', `todo-api-${idle}`))).toBe(true);
    expect(selects(preview, find('Deployment', `todo-api-${active}`))).toBe(false);
    expect(preview.spec.type).toBe('ClusterIP');
    expect(pub.spec.ports).toEqual([{ name: 'grpc', appProtocol: 'grpc', protocol: 'TCP', port: 10000, targetPort: 'grpc' }]);
  });

  test('flipping the active colour changes no Deployment selector (immutable) nor anything else of the Deployments', () => {
    const blue = synth({ activeColor: Color.BLUE });
    const green = synth({ activeColor: Color.GREEN });
    for (const name of ['todo-api-blue', 'todo-api-green']) {
      const a = blue.find('Deployment', name);
      const b = green.find('Deployment', name);
      expect(a.spec.selector).toEqual(b.spec.selector);
      expect(a.spec.selector.matchLabels).toEqual({
        'app.kubernetes.io/name': 'todo-api', 'app.kubernetes.io/instance': 'todo-api', 'mega8s.io/color': name.slice('todo-api-'.length),
      });
      // With equal replicas for both colours a flip leaves the Deployments exactly as they were.
      expect(a).toEqual(b);
    }
    expect(blue.find('Service', 'todo-api').spec.selector).not.toEqual(green.find('Service', 'todo-api').spec.selector);
  });

  test('the idle colour is warm by default, or scaled to idleReplicas', () => {
    expect(synth({ replicas: 3 }).find('Deployment', 'todo-api-green').spec.replicas).toBe(3);
    const cold = synth({ replicas: 3, idleReplicas: 0 });
    expect(cold.find('Deployment', 'todo-api-blue').spec.replicas).toBe(3);
    expect(cold.find('Deployment', 'todo-api-green').spec.replicas).toBe(0);
  });

  test('with autoscaling, each colour has its own HPA and neither Deployment has replicas', () => {
    const { of, find } = synth({ autoscaling: { minReplicas: 1, maxReplicas: 10, cpuUtilization: 80 } });
    for (const d of of('Deployment')) expect(d.spec.replicas).toBeUndefined();
    const hpas = of('HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.metadata.name)).toEqual(['todo-api-blue', 'todo-api-green']);
    for (const color of ['blue', 'green']) {
      const h = find('HorizontalPodAutoscaler', `todo-api-${color}`);
      expect(h.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: `todo-api-${color}` });
      expect(h.spec.minReplicas).toBe(1);
      expect(h.spec.maxReplicas).toBe(10);
      expect(h.spec.metrics[0].resource.target).toEqual({ type: 'Utilization', averageUtilization: 80 });
      expect(find('PodDisruptionBudget', `todo-api-${color}`).spec.selector.matchLabels['mega8s.io/color']).toBe(color);
    }
    // An idle colour at 0 has no autoscaler and replicas 0.
    const cold = synth({ autoscaling: { maxReplicas: 10 }, idleReplicas: 0 });
    expect(cold.of('HorizontalPodAutoscaler').map((h) => h.metadata.name)).toEqual(['todo-api-blue']);
    expect(cold.find('Deployment', 'todo-api-green').spec.replicas).toBe(0);
    expect(cold.find('Deployment', 'todo-api-blue').spec.replicas).toBeUndefined();
  });

  test('pods pass Pod Security restricted, the probes are the chosen kind', () => {
    const d = synth().find('Deployment', 'todo-api-blue');
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0].readinessProbe.grpc).toEqual({ port: 10000 });
    expect(synth({ probe: BlueGreenProbe.http('/healthz') }).find('Deployment', 'todo-api-green').spec.template.spec.containers[0].livenessProbe.httpGet)
      .toEqual({ path: '/healthz', port: 'grpc' });
    expect(synth({ probe: BlueGreenProbe.tcp() }).find('Deployment', 'todo-api-green').spec.template.spec.containers[0].readinessProbe.tcpSocket)
      .toEqual({ port: 'grpc' });
  });

  describe('release Jobs', () => {
    const jobs = { seedJob: { args: ['seed'] }, smokeJob: { args: ['smoke', '--target', '$(PREVIEW_TARGET)'] } };

    test('the seed and smoke Jobs run the idle colour\'s image, restricted, bounded, and are named by a hash of what they run', () => {
      const { of, bg } = synth(jobs);
      const [seed, smoke] = of('Job');
      expect(seed.metadata.name).toMatch(/^todo-api-seed-[0-9a-f]{10}$/);
      expect(smoke.metadata.name).toMatch(/^todo-api-smoke-[0-9a-f]{10}$/);
      expect(seed.metadata.labels['app.kubernetes.io/component']).toBe('seed');
      expect(smoke.metadata.labels['app.kubernetes.io/component']).toBe('smoke');
      for (const j of [seed, smoke]) {
        expect(j.spec.backoffLimit).toBe(2);
        expect(j.spec.activeDeadlineSeconds).toBe(300);
        expect(j.spec.ttlSecondsAfterFinished).toBe(86400);
        expect(j.spec.template.spec.restartPolicy).toBe('Never');
        expect(j.spec.template.spec.containers[0].image).toBe('gcr.io/p/todo-api:1.1.0');
        expect(j.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
        expect(j.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation).toBe(false);
        expect(j.spec.selector).toBeUndefined();
        // apply creates them without running them; the release runs each at its step
        expect(j.spec.suspend).toBe(true);
      }
      expect(smoke.spec.template.spec.containers[0].env).toEqual([{ name: 'PREVIEW_TARGET', value: 'todo-api-preview:10000' }]);
      expect(bg.previewTarget).toBe('todo-api-preview:10000');
      expect(bg.jobSelector('seed')).toEqual({ 'app.kubernetes.io/name': 'todo-api', 'app.kubernetes.io/instance': 'todo-api-seed' });
      // The Jobs' pods are not the colours' pods: the Services never select them.
      expect(selects({ spec: { selector: bg.selector } }, seed)).toBe(false);
    });

    test('a change of what a Job runs renames it; the same input gives the same name', () => {
      const name = (p: Partial<BlueGreenServiceProps>) => synth({ ...jobs, ...p }).of('Job')[0].metadata.name;
      expect(name({})).toBe(name({}));
      expect(name({ greenTag: '1.2.0' })).not.toBe(name({}));
      expect(name({ seedJob: { args: ['seed', '--again'] } })).not.toBe(name({}));
      // the active colour's tag is not what the Job runs
      expect(name({ blueTag: '0.9.0' })).toBe(name({}));
    });

    test('Argo CD hooks: seed (wave -1) → colours and their NetworkPolicy (0) → smoke (1) → public Service (2)', () => {
      const { find, of } = synth({ ...jobs, argoCdHooks: true });
      const wave = (o: any) => Number(o.metadata.annotations['argocd.argoproj.io/sync-wave']);
      const [seed, smoke] = of('Job');
      expect(seed.metadata.annotations['argocd.argoproj.io/hook']).toBe('Sync');
      expect(smoke.metadata.annotations['argocd.argoproj.io/hook-delete-policy']).toBe('BeforeHookCreation');
      expect(wave(seed)).toBeLessThan(wave(find('Deployment', 'todo-api-green')));
      expect(wave(find('Deployment', 'todo-api-green'))).toBeLessThan(wave(smoke));
      expect(wave(smoke)).toBeLessThan(wave(find('Service', 'todo-api')));
      expect(wave(find('Service', 'todo-api-preview'))).toBe(0);
      // The policy the smoke Job must get through syncs with the colours it protects.
      expect(wave(find('NetworkPolicy', 'todo-api'))).toBe(wave(find('Deployment', 'todo-api-green')));
      expect(synth(jobs).find('NetworkPolicy', 'todo-api').metadata.annotations).toBeUndefined();
      expect(synth(jobs).of('Job')[0].metadata.annotations).toBeUndefined();
      // Argo CD runs hooks as written: they are not suspended.
      expect(seed.spec.suspend).toBeUndefined();
      expect(synth({ ...jobs, suspendJobs: false }).of('Job')[0].spec.suspend).toBeUndefined();
    });
  });

  describe('synth-time checks', () => {
    test('a public Service that selects both colours is refused', () => {
      const chart = Testing.chart();
      const bg = new BlueGreenService(chart, 'todo-api', BASE);
      bg.service.addJsonPatch(JsonPatch.remove('/spec/selector/mega8s.io~1color'));
      expect(() => Testing.synth(chart)).toThrow(ERRORS);
      expect(() => chartObjects('t', chart)).toThrow(/the public Service todo-api selects blue and green pods: expected exactly the active colour's \(blue\)/);
    });

    test('a preview Service that selects the active colour is refused', () => {
      const chart = Testing.chart();
      const bg = new BlueGreenService(chart, 'todo-api', BASE);
      bg.previewService.addJsonPatch(JsonPatch.replace('/spec/selector/mega8s.io~1color', 'blue'));
      expect(() => chartObjects('t', chart)).toThrow(/the preview Service todo-api-preview selects blue pods: expected exactly the idle colour's \(green\)/);
    });

    test('a missing colour is refused', () => {
      const chart = Testing.chart();
      const bg = new BlueGreenService(chart, 'todo-api', BASE);
      bg.node.tryRemoveChild('Green');
      expect(() => chartObjects('t', chart)).toThrow(/the green Deployment todo-api-green is missing: both colours must exist/);
    });

    test('a Deployment selector that names something else than the colour is refused', () => {
      const chart = Testing.chart();
      const bg = new BlueGreenService(chart, 'todo-api', BASE);
      bg.deployments.blue.addJsonPatch(JsonPatch.add('/spec/selector/matchLabels/active', 'true'), JsonPatch.add('/spec/template/metadata/labels/active', 'true'));
      expect(() => chartObjects('t', chart)).toThrow(/the blue Deployment's selector .* must not depend on the active colour/);
    });

    test('the objects as made pass', () => {
      const chart = Testing.chart();
      new BlueGreenService(chart, 'todo-api', { ...BASE, autoscaling: { maxReplicas: 3 } });
      expect(() => chartObjects('t', chart)).not.toThrow();
    });
  });

  describe('bad props', () => {
    const error = (props: Partial<BlueGreenServiceProps>): PropError => {
      try {
        synth(props);
      } catch (e) {
        expect(e).toBeInstanceOf(PropError);
        return e as PropError;
      }
      throw new Error('no error');
    };
    test.each([
      [{ activeColor: 'red' as Color }, 'activeColor', 'test/todo-api: activeColor "red" is not one of blue, green'],
      [{ blueTag: 'latest!' }, 'blueTag', 'test/todo-api: blueTag "latest!" is not an image tag'],
      [{ greenTag: '' }, 'greenTag', 'test/todo-api: greenTag "" is not an image tag'],
      [{ imageRepository: 'gcr.io/p/todo-api:1.0' }, 'imageRepository', 'test/todo-api: imageRepository "gcr.io/p/todo-api:1.0" has a tag or digest'],
      [{ imageRepository: '' }, 'imageRepository', 'test/todo-api: imageRepository "" is empty'],
      [{ idleReplicas: -1 }, 'idleReplicas', 'test/todo-api: idleReplicas -1 is out of range'],
      [{ idleReplicas: 11, autoscaling: { maxReplicas: 10 } }, 'idleReplicas', 'test/todo-api: idleReplicas 11 is out of range: expected in range 0-10'],
      [{ portName: 'Bad_Name' }, 'portName', 'test/todo-api: portName "Bad_Name" is not a valid port name'],
      [{ servicePort: 0 }, 'servicePort', 'test/todo-api: servicePort 0 is out of range'],
      [{ serviceType: 'Public' as ServiceType }, 'serviceType', 'test/todo-api: serviceType "Public" is not one of'],
      [{ probe: { kind: 'grpc' } as any }, 'probe', 'test/todo-api: probe {"kind":"grpc"} is not a BlueGreenProbe'],
      [{ probe: BlueGreenProbe.http('healthz') }, 'probe', 'test/todo-api: probe path "healthz" does not start with \'/\''],
      [{ argoCdHooks: true, suspendJobs: true }, 'suspendJobs', 'test/todo-api: suspendJobs true conflicts with argoCdHooks'],
      [{ suspendJobs: 1 as any }, 'suspendJobs', 'test/todo-api: suspendJobs 1 is not a boolean'],
      [{ argoCdHooks: 'yes' as any }, 'argoCdHooks', 'test/todo-api: argoCdHooks "yes" is not a boolean'],
      [{ seedJob: { args: [] } }, 'seedJob.args', 'test/todo-api: seedJob.args [] is empty'],
      [{ smokeJob: { args: ['smoke'], backoffLimit: 11 } }, 'smokeJob.backoffLimit', 'test/todo-api: smokeJob.backoffLimit 11 is out of range'],
      [{ smokeJob: { args: ['smoke'], env: [{ name: 'PREVIEW_TARGET', value: 'x' }] } }, 'smokeJob.env', 'test/todo-api: smokeJob.env "PREVIEW_TARGET" is set twice'],
      [{ seedJob: { args: ['seed'], activeDeadlineSeconds: 0 } }, 'seedJob.activeDeadlineSeconds', 'test/todo-api: seedJob.activeDeadlineSeconds 0 is out of range'],
      [{ name: 'n'.repeat(48) }, 'name', `test/todo-api: name "${'n'.repeat(48)}" is longer than 47 characters`],
    ])('%p', (props, prop, message) => {
      const e = error(props);
      expect(e.prop).toBe(prop);
      expect(e.message.startsWith(message)).toBe(true);
    });
  });

  test('snapshot: autoscaled, with both Jobs', () => {
    const { objects } = synth({
      autoscaling: { maxReplicas: 10 },
      seedJob: { args: ['seed'] },
      smokeJob: { args: ['smoke', '--target', '$(PREVIEW_TARGET)'] },
      serviceType: ServiceType.LOAD_BALANCER,
    });
    expect(toYamlDocuments(objects)).toMatchSnapshot();
  });
});
