import { isIP } from 'net';
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { z } from 'zod';
import { Microservice, MicroserviceProps, SecureNamespace, ServiceType } from '../../constructs';
import { downwardEnv } from '../../constructs/downward';
import { renderObject } from '../../constructs/workload';
import { Environment, SettingType, defineSettings, int, oneOf, optionalSetting, setting } from '../env';
import { ChartDefinition } from './chart';

export const KUBE_ALIVE_NAMESPACE = 'kube-alive';
const PART_OF = 'kube-alive';
/** The image's one program takes its mode as the container's first argument. */
export const KUBE_ALIVE_IMAGE = 'kube-alive';
/** The four experiments, each a Service on port 80 that the frontend proxies to (`http://<name>`). */
export const EXPERIMENTS = ['getip', 'healthcheck', 'cpuhog', 'incver'] as const;
export type Experiment = typeof EXPERIMENTS[number];

/** A comma-separated list of distinct IP addresses. */
export function ipList(): SettingType<string[]> {
  return {
    schema: z.string()
      .transform((v) => v.split(',').map((x) => x.trim()))
      .pipe(z.array(z.string())
        .refine((ips) => ips.every((ip) => isIP(ip) !== 0), { message: 'is not a list of IP addresses' })
        .refine((ips) => new Set(ips).size === ips.length, { message: 'lists an address twice' })) as unknown as z.ZodType<string[], string>,
    expected: 'comma-separated IP addresses such as 203.0.113.10,203.0.113.11, each once',
    label: 'IP addresses, comma-separated',
  };
}

/** How the frontend's Service is exposed. */
export type KubeAliveExposure = 'LoadBalancer' | 'NodePort' | 'ExternalIPs';

/** The env-file keys of this chart. */
export const KUBE_ALIVE_SETTINGS = defineSettings('kube-alive', {
  expose: setting('KUBE_ALIVE_EXPOSE', oneOf(['LoadBalancer', 'NodePort', 'ExternalIPs']), {
    default: 'LoadBalancer',
    doc: 'How the kube-alive page is exposed: a cloud `LoadBalancer`, a `NodePort`, or `ExternalIPs` (the article\'s way: a ClusterIP Service answering on port 80 of the nodes in `KUBE_ALIVE_EXTERNAL_IPS`).',
  }),
  externalIPs: optionalSetting('KUBE_ALIVE_EXTERNAL_IPS', ipList(), { doc: 'The node addresses the kube-alive page answers on; required with `KUBE_ALIVE_EXPOSE=ExternalIPs`, refused otherwise.' }),
  cpuhogMinReplicas: setting('KUBE_ALIVE_CPUHOG_MIN_REPLICAS', int(1, 100), { default: '1', doc: 'cpuhog autoscaler\'s minimum (the article and the original repository: 1).' }),
  cpuhogMaxReplicas: setting('KUBE_ALIVE_CPUHOG_MAX_REPLICAS', int(1, 100), { default: '10', doc: 'cpuhog autoscaler\'s maximum (the article: 10; the original repository: 5).' }),
  cpuhogCpuUtilization: setting('KUBE_ALIVE_CPUHOG_CPU_UTILIZATION', int(1, 100), { default: '80', doc: 'cpuhog autoscaler\'s target CPU use, in percent of the request (the article: 80; the original repository: 50).' }),
});

const PROBES = { httpHealthPath: '/healthz', httpReadinessPath: '/readyz' } as const;
/** The programs write nothing: a read-only root and no writable directory at all. */
const NO_WRITABLE_PATHS: string[] = [];
/** Who answered: every program reads its pod's name, IP and namespace from the downward API. */
const IDENTITY_ENV = downwardEnv(['POD_NAME', 'POD_IP', 'POD_NAMESPACE']);

/**
 * kube-alive (daniel-kun/kube-alive), in namespace `kube-alive` (Pod Security "restricted"): four
 * experiments and the page that watches them, all from one image (`<IMAGE_REGISTRY>/kube-alive:
 * <IMAGE_TAG>`, the mode as the container's argument), each listening on 8080 behind a Service on
 * port 80, with liveness (`/healthz`) and readiness (`/readyz`) probes and CPU and memory requests:
 *
 * - `getip`: 4 replicas — each answer names its pod (load balancing);
 * - `healthcheck`: the page can infect it, its liveness probe fails and Kubernetes restarts it;
 * - `cpuhog`: a HorizontalPodAutoscaler (autoscaling/v2) on CPU, bounds and target per environment;
 * - `incver`: patches its own Deployment's image to the next tag (a rolling update) through a Role
 *   on `apps` `deployments` with get and patch on that one Deployment (`resourceNames`);
 * - `frontend`: serves the page and proxies to the four Services and to the pod list/watch of its
 *   namespace, through a Role with get/list/watch on pods; exposed per environment.
 *
 * Each Role is bound to its workload's own ServiceAccount only. Only the frontend's pods reach the
 * four experiments (`allowFrom`); getip, healthcheck and cpuhog may open no connection at all.
 *
 * What the original manifests got wrong, and this chart does not: removed API versions
 * (`apps/v1beta2`, `autoscaling/v2beta1`, `extensions/v1beta1`); an incver Role on the
 * `extensions` group, which cannot patch an apps/v1 Deployment; RoleBindings with a bogus
 * `kind: User` subject; a ServiceAccount token pasted into nginx.conf once (the frontend here reads
 * the rotating projected token per request); no readiness probes; CPU requested by cpuhog alone.
 */
export class KubeAliveChart extends Chart {
  public readonly experiments: Readonly<Record<Experiment, Microservice>>;
  public readonly frontend: Microservice;
  /** Egress policies: the experiments that need no connection of their own open none. */
  public readonly noEgress: readonly ApiObject[];

  constructor(scope: Construct, env: Environment) {
    super(scope, 'kube-alive', { namespace: KUBE_ALIVE_NAMESPACE, disableResourceNameHashes: true });
    const settings = KUBE_ALIVE_SETTINGS.of(env);
    const expose = settings.expose as KubeAliveExposure;
    if (expose === 'ExternalIPs' && !settings.externalIPs) {
      throw new Error(`${env.file}: KUBE_ALIVE_EXPOSE=ExternalIPs needs KUBE_ALIVE_EXTERNAL_IPS: expected the node addresses the page answers on`);
    }
    if (expose !== 'ExternalIPs' && settings.externalIPs) {
      throw new Error(`${env.file}: KUBE_ALIVE_EXTERNAL_IPS is set but KUBE_ALIVE_EXPOSE=${expose} does not use it: expected KUBE_ALIVE_EXPOSE=ExternalIPs, or no KUBE_ALIVE_EXTERNAL_IPS`);
    }
    if (settings.cpuhogMaxReplicas < settings.cpuhogMinReplicas) {
      throw new Error(`${env.file}: KUBE_ALIVE_CPUHOG_MAX_REPLICAS=${settings.cpuhogMaxReplicas} is below KUBE_ALIVE_CPUHOG_MIN_REPLICAS=${settings.cpuhogMinReplicas}: expected at least ${settings.cpuhogMinReplicas}`);
    }

    new SecureNamespace(this, 'Namespace', { name: KUBE_ALIVE_NAMESPACE, partOf: PART_OF });
    const image = `${env.images.registry}/${KUBE_ALIVE_IMAGE}:${env.images.tag}`;
    const program = (mode: string, props: Partial<MicroserviceProps>): Microservice => new Microservice(this, mode, {
      image,
      partOf: PART_OF,
      component: 'experiment',
      args: [mode],
      servicePort: 80,
      writablePaths: NO_WRITABLE_PATHS,
      ...PROBES,
      ...props,
      env: [...IDENTITY_ENV, ...(props.env ?? [])],
    });

    const experiments: Record<Experiment, Microservice> = {
      getip: program('getip', { replicas: 4 }),
      healthcheck: program('healthcheck', { replicas: 1 }),
      cpuhog: program('cpuhog', {
        // The autoscaler's utilisation is a percentage of the CPU request; the limit keeps one
        // request's burn from starving the node's other pods.
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
        autoscaling: {
          minReplicas: settings.cpuhogMinReplicas,
          maxReplicas: settings.cpuhogMaxReplicas,
          cpuUtilization: settings.cpuhogCpuUtilization,
        },
      }),
      incver: program('incver', {
        replicas: 3,
        env: [{ name: 'INCVER_DEPLOYMENT', value: 'incver' }, { name: 'INCVER_CONTAINER', value: 'incver' }],
        // Only its own Deployment, and only to read and patch it: no create, no delete, no other object.
        apiAccess: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'], resourceNames: ['incver'] }],
      }),
    };
    this.experiments = experiments;

    this.frontend = program('frontend', {
      component: 'frontend',
      replicas: 2,
      serviceType: expose === 'LoadBalancer' ? ServiceType.LOAD_BALANCER : expose === 'NodePort' ? ServiceType.NODE_PORT : ServiceType.CLUSTER_IP,
      ...(expose === 'ExternalIPs' ? { externalIPs: [...settings.externalIPs!] } : {}),
      // The page lists and watches the pods of its own namespace; get for a single pod.
      apiAccess: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });

    for (const e of Object.values(experiments)) e.allowFrom(this.frontend.selector);

    this.noEgress = (['getip', 'healthcheck', 'cpuhog'] as const).map((name) => {
      const w = experiments[name];
      return renderObject(this, `${name}-no-egress`, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `${w.name}-no-egress`, labels: w.labels },
        spec: { podSelector: { matchLabels: { ...w.selector } }, policyTypes: ['Egress'] },
      });
    });
  }
}

export const kubeAliveChart: ChartDefinition = {
  name: 'kube-alive',
  build: (scope, env) => new KubeAliveChart(scope, env),
  settings: KUBE_ALIVE_SETTINGS,
};
