import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { addConfigHash } from './config-hash';
import { LABEL_COMPONENT } from './labels';
import { Resources } from './resources';
import { restrictedContainerSecurityContext } from './security';
import { ServiceType, serviceTypeSpec } from './service-type';
import { PropError, checkDns1123Label, checkInteger, checkLabels, checkPort, show } from './validate';
import { EnvVar, Workload, WorkloadProps } from './workload';

/** How a load test runs. */
export enum LocustMode {
  /**
   * The master is a Deployment with its web UI (a Service on `webPort`): a person starts, watches
   * and stops runs in the browser; the workers are a Deployment. As the article ran it.
   */
  INTERACTIVE = 'interactive',
  /**
   * The master is a Job: `--headless --users --spawn-rate --run-time --expect-workers N`, CSV and
   * HTML reports in `/reports`, exit code per `--exit-code-on-error`; the workers are a Job whose pods
   * end when the master quits. Applying the output starts a run.
   */
  HEADLESS = 'headless',
}

/** Where the workers send load: the pods of a target, for the workers' egress NetworkPolicy. */
export interface LocustTarget {
  /** Labels of the target's pods (never empty). */
  readonly podSelector: Record<string, string>;
  /** @default the load test's own namespace */
  readonly namespace?: string;
  /** The port the target's pods listen on (the container port, not a Service's port). */
  readonly port: number;
}

export interface LocustLoadTestProps extends WorkloadProps {
  /**
   * The image of master and workers: the official `locustio/locust` image or one built `FROM` it
   * (entrypoint `locust`, every flag also a `LOCUST_*` variable), holding the Python modules the
   * locustfile imports that are not in `modules`.
   */
  readonly image: string;
  /** The locustfile's Python source. Mounted from a ConfigMap; a change rolls the pods. */
  readonly locustfile: string;
  /** The locustfile's file name (a Python module name + `.py`). @default 'locustfile.py' */
  readonly locustfileName?: string;
  /**
   * Further Python modules the locustfile imports, by file name (`helpers.py`), in the same
   * ConfigMap and folder as the locustfile (Locust puts that folder on `sys.path`).
   * @default none
   */
  readonly modules?: Record<string, string>;
  /** @default LocustMode.INTERACTIVE */
  readonly mode?: LocustMode;
  /** Number of workers; headless, the master waits for exactly this many (`--expect-workers`). @default 1 */
  readonly workers?: number;
  /**
   * The target (`--host`), as the locustfile's users expect it (`host:port` for gRPC users).
   * @default none: interactive, typed into the web UI; headless, required
   */
  readonly host?: string;
  /** Peak number of users (`--users`; interactive: the web UI's default). @default 1 */
  readonly users?: number;
  /** Users started per second (`--spawn-rate`; interactive: the web UI's default). @default 1 */
  readonly spawnRate?: number;
  /** Headless: how long the run lasts once every user is started (`--run-time`). @default 600 */
  readonly runTimeSeconds?: number;
  /** Headless: how long the master waits for its workers before giving up (`--expect-workers-max-wait`). @default 300 */
  readonly expectWorkersMaxWaitSeconds?: number;
  /** Headless: the master's exit code when any request failed (`--exit-code-on-error`). @default 1 */
  readonly exitCodeOnError?: number;
  /**
   * Headless: how long the finished master pod stays up so that its reports can be fetched with
   * `kubectl cp` (the Job completes, with Locust's exit code, when this time is up). 0: at once.
   * @default 3600
   */
  readonly reportRetentionSeconds?: number;
  /** The port workers connect to on the master (`--master-bind-port`, the master Service's port). @default 5557 */
  readonly masterPort?: number;
  /** Interactive: the web UI's port (`--web-port`, the web Service's port). @default 8089 */
  readonly webPort?: number;
  /**
   * Interactive: how the web UI's Service is exposed (not Headless). A LoadBalancer or NodePort
   * admits outside traffic to the web UI; on ClusterIP no pod is admitted to it (the workers reach
   * the master port only): open it with `kubectl port-forward`.
   * @default ServiceType.CLUSTER_IP
   */
  readonly webServiceType?: ServiceType;
  /** The workers' container resources; `resources` are the master's. @default LOCUST_LOAD_TEST_DEFAULTS.workerResources */
  readonly workerResources?: Resources;
  /**
   * Where the workers may send traffic. When given, an egress NetworkPolicy lets the workers reach
   * only these, the master and the cluster DNS, and the master only the cluster DNS.
   * @default no egress policy (the pods may reach anything)
   */
  readonly targets?: LocustTarget[];
}

export const LOCUST_LOAD_TEST_DEFAULTS = {
  locustfileName: 'locustfile.py',
  workers: 1,
  users: 1,
  spawnRate: 1,
  runTimeSeconds: 600,
  expectWorkersMaxWaitSeconds: 300,
  exitCodeOnError: 1,
  reportRetentionSeconds: 3600,
  masterPort: 5557,
  webPort: 8089,
  /** The locust user of the official image. */
  runAsUser: 1000,
  terminationGraceSeconds: 30,
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } } as Resources,
  /** One Locust worker is one Python process: it uses at most one core. */
  workerResources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } } as Resources,
} as const;

/** Where the ConfigMap (locustfile and modules) is mounted. */
export const LOCUSTFILE_DIR = '/mnt/locust';
/** Where a headless master writes its CSV and HTML reports (an emptyDir). */
export const REPORTS_DIR = '/reports';
/** Most workers one load test runs. */
export const MAX_LOCUST_WORKERS = 1000;

const MODULE_FILE = /^[A-Za-z_][A-Za-z0-9_]*\.py$/;
/** A ConfigMap holds at most 1 MiB. */
const CONFIG_MAP_MAX_BYTES = 1024 * 1024;
/** Time a run may take beyond its wait and run time (stopping users, writing reports). */
const STOP_MARGIN_SECONDS = 300;

/** The LOCUST_* variables the construct sets (refused in `env`). */
const LOCUST_ENV = [
  'LOCUST_LOCUSTFILE', 'LOCUST_HOST', 'LOCUST_MODE_MASTER', 'LOCUST_MODE_WORKER', 'LOCUST_MASTER_BIND_PORT',
  'LOCUST_MASTER_NODE_HOST', 'LOCUST_MASTER_NODE_PORT', 'LOCUST_WEB_PORT', 'LOCUST_HEADLESS', 'LOCUST_USERS',
  'LOCUST_SPAWN_RATE', 'LOCUST_RUN_TIME', 'LOCUST_EXPECT_WORKERS', 'LOCUST_EXPECT_WORKERS_MAX_WAIT', 'LOCUST_CSV',
  'LOCUST_HTML', 'LOCUST_EXIT_CODE_ON_ERROR', 'MEGA8S_REPORT_RETENTION_SECONDS', 'POD_NAMESPACE',
];

/**
 * The headless master's command: Locust, then the reports kept for MEGA8S_REPORT_RETENTION_SECONDS,
 * then Locust's exit code. SIGTERM (a deleted Job, a drained node) reaches Locust, which stops the
 * run and writes its reports; during the retention it ends the wait at once.
 */
export const HEADLESS_MASTER_SCRIPT = [
  'trap \'kill -TERM "$child" 2>/dev/null\' TERM INT',
  'locust & child=$!',
  'wait "$child"; status=$?',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done',
  `echo "locust exited with $status; reports in ${REPORTS_DIR} for $MEGA8S_REPORT_RETENTION_SECONDS s: kubectl cp $POD_NAMESPACE/$HOSTNAME:${REPORTS_DIR} ./reports"`,
  'if [ "$MEGA8S_REPORT_RETENTION_SECONDS" -gt 0 ]; then sleep "$MEGA8S_REPORT_RETENTION_SECONDS" & child=$!; wait "$child"; fi',
  'exit "$status"',
].join('\n');

/**
 * Distributed Locust: one master and `workers` workers of one image, the locustfile (and the
 * modules it imports) from a ConfigMap, configured through the official image's `LOCUST_*`
 * variables. Interactive (web UI) or headless (a Job with reports and an exit code); see
 * `LocustMode`.
 *
 * - The master Service (`<name>-master`, ClusterIP) carries only the port workers connect to, so a
 *   LoadBalancer for the web UI (`<name>-web`) never exposes it.
 * - The master admits the workers (`allowFrom`); `targets` adds the workers' egress policy.
 * - Headless: the master waits for exactly `workers` workers (`--expect-workers`) and gives up
 *   after `expectWorkersMaxWaitSeconds`; workers are a Job (`parallelism` = `completions` =
 *   `workers`, restarted on failure while the master is not up yet) whose pods exit when the master
 *   quits; both Jobs have a deadline, so nothing lingers. Re-running: delete the two Jobs, apply again.
 * - A validation (run at synth) re-reads the rendered objects: the master's expected worker count
 *   equals the worker Job's parallelism and completions, and the master's bind port, its container
 *   port, the Service's port and target port and the workers' master port and host all line up,
 *   so an escape-hatch edit cannot break a run silently.
 *
 * `replicas` (of the shared props) is the master's and can only be 1; the worker count is `workers`.
 *
 * Contract ids: `Locustfile` (ConfigMap), `MasterService`, `WebService` (interactive), `Master`
 * (Deployment or Job), `Workers` (Deployment or Job), `MasterEgress` and `WorkerEgress` (with `targets`).
 */
export class LocustLoadTest extends Workload {
  public readonly mode: LocustMode;
  /** The number of workers. */
  public readonly workers: number;
  /** Labels selecting the master pod / the worker pods. */
  public readonly masterSelector: Record<string, string>;
  public readonly workerSelector: Record<string, string>;
  public readonly masterPort: number;
  /** Interactive: the web UI's port. */
  public readonly webPort?: number;
  public readonly configMap: ApiObject;
  public readonly masterService: ApiObject;
  /** Interactive: the web UI's Service. */
  public readonly webService?: ApiObject;
  /** The master's Deployment (interactive) or Job (headless). */
  public readonly master: ApiObject;
  /** The workers' Deployment (interactive) or Job (headless). */
  public readonly workerSet: ApiObject;
  public readonly masterEgress?: ApiObject;
  public readonly workerEgress?: ApiObject;

  constructor(scope: Construct, id: string, props: LocustLoadTestProps) {
    super(scope, id, props, {
      appName: 'locust',
      image: props?.image,
      defaults: {
        resources: LOCUST_LOAD_TEST_DEFAULTS.resources,
        runAsUser: LOCUST_LOAD_TEST_DEFAULTS.runAsUser,
        terminationGraceSeconds: LOCUST_LOAD_TEST_DEFAULTS.terminationGraceSeconds,
        replicas: 1,
      },
      replicaRange: [1, 1],
      reservedEnv: LOCUST_ENV,
    });
    const D = LOCUST_LOAD_TEST_DEFAULTS;
    const name = this.name;
    if (`${name}-master`.length > 63) {
      throw new PropError(this, 'name', `name ${show(name)} is longer than 56 characters: the Service ${name}-master must fit in a DNS label of 63; expected a shorter name`);
    }
    const mode = this.mode = props.mode ?? LocustMode.INTERACTIVE;
    if (!Object.values(LocustMode).includes(mode)) {
      throw new PropError(this, 'mode', `mode ${show(mode)} is not one of ${Object.values(LocustMode).join(', ')}`);
    }
    const headless = mode === LocustMode.HEADLESS;
    const workers = this.workers = checkInteger(this, 'workers', props.workers ?? D.workers, 1, MAX_LOCUST_WORKERS);
    const files = this.validateFiles(props);
    const host = this.validateHost(props.host, headless);
    const users = checkInteger(this, 'users', props.users ?? D.users, 1, 1_000_000);
    const spawnRate = props.spawnRate ?? D.spawnRate;
    if (typeof spawnRate !== 'number' || !Number.isFinite(spawnRate) || spawnRate <= 0 || spawnRate > users) {
      throw new PropError(this, 'spawnRate', `spawnRate ${show(spawnRate)} is not a number of users per second above 0 and at most users (${users}): expected e.g. 10`);
    }
    const runTime = checkInteger(this, 'runTimeSeconds', props.runTimeSeconds ?? D.runTimeSeconds, 1, 7 * 24 * 3600);
    const maxWait = checkInteger(this, 'expectWorkersMaxWaitSeconds', props.expectWorkersMaxWaitSeconds ?? D.expectWorkersMaxWaitSeconds, 1, 24 * 3600);
    const exitCode = checkInteger(this, 'exitCodeOnError', props.exitCodeOnError ?? D.exitCodeOnError, 0, 255);
    const retention = checkInteger(this, 'reportRetentionSeconds', props.reportRetentionSeconds ?? D.reportRetentionSeconds, 0, 7 * 24 * 3600);
    if (!headless) {
      for (const p of ['runTimeSeconds', 'expectWorkersMaxWaitSeconds', 'exitCodeOnError', 'reportRetentionSeconds'] as const) {
        if (props[p] !== undefined) throw new PropError(this, p, `${p} ${show(props[p])} is not supported in interactive mode: the run is started and stopped in the web UI; expected mode headless, or no ${p}`);
      }
    }
    const masterPort = this.masterPort = this.unprivilegedPort('masterPort', props.masterPort ?? D.masterPort);
    let webType: ReturnType<typeof serviceTypeSpec> | undefined;
    if (headless) {
      for (const p of ['webPort', 'webServiceType'] as const) {
        if (props[p] !== undefined) throw new PropError(this, p, `${p} ${show(props[p])} is not supported in headless mode: a headless master has no web UI; expected mode interactive, or no ${p}`);
      }
    } else {
      this.webPort = this.unprivilegedPort('webPort', props.webPort ?? D.webPort);
      if (this.webPort === masterPort) throw new PropError(this, 'webPort', `webPort ${this.webPort} is masterPort too: expected two different ports`);
      webType = serviceTypeSpec(this, 'webServiceType', props.webServiceType ?? ServiceType.CLUSTER_IP);
      if (webType.headless) throw new PropError(this, 'webServiceType', `webServiceType ${show(props.webServiceType)} is not supported: the web UI needs a Service address; expected ClusterIP, LoadBalancer or NodePort`);
    }
    const workerResources = this.validateResources('workerResources', props.workerResources, D.workerResources);
    const targets = this.validateTargets(props.targets);

    const role = (component: string) => ({
      selector: { ...this.selector, [LABEL_COMPONENT]: component },
      labels: { ...this.labels, [LABEL_COMPONENT]: component },
    });
    const masterRole = role('master');
    const workerRole = role('worker');
    this.masterSelector = masterRole.selector;
    this.workerSelector = workerRole.selector;
    const masterName = `${name}-master`;
    const workerName = `${name}-worker`;
    const webName = `${name}-web`;

    this.addPort({ name: 'master', port: masterPort, protocol: 'TCP' });
    if (this.webPort !== undefined) this.addPort({ name: 'web', port: this.webPort, protocol: 'TCP' });
    // The workers connect to the master; nothing else needs its port.
    this.allowFrom(this.workerSelector);

    this.configMap = this.object('Locustfile', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-locustfile` },
      data: files.data,
    });

    const common: EnvVar[] = [
      { name: 'LOCUST_LOCUSTFILE', value: `${LOCUSTFILE_DIR}/${files.locustfileName}` },
      ...(host !== undefined ? [{ name: 'LOCUST_HOST', value: host }] : []),
    ];
    const volumes = [
      { name: 'locustfile', configMap: { name: `${name}-locustfile` } },
      // Locust and gevent may write temporary files; the root filesystem stays read-only.
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ];
    const mounts = [
      { name: 'locustfile', mountPath: LOCUSTFILE_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ];

    const masterEnv: EnvVar[] = [
      ...common,
      { name: 'LOCUST_MODE_MASTER', value: 'true' },
      { name: 'LOCUST_MASTER_BIND_PORT', value: String(masterPort) },
      { name: 'LOCUST_USERS', value: String(users) },
      { name: 'LOCUST_SPAWN_RATE', value: String(spawnRate) },
      ...(headless ? [
        { name: 'LOCUST_HEADLESS', value: 'true' },
        { name: 'LOCUST_RUN_TIME', value: `${runTime}s` },
        { name: 'LOCUST_EXPECT_WORKERS', value: String(workers) },
        { name: 'LOCUST_EXPECT_WORKERS_MAX_WAIT', value: String(maxWait) },
        { name: 'LOCUST_CSV', value: `${REPORTS_DIR}/${name}` },
        { name: 'LOCUST_HTML', value: `${REPORTS_DIR}/${name}.html` },
        { name: 'LOCUST_EXIT_CODE_ON_ERROR', value: String(exitCode) },
        { name: 'MEGA8S_REPORT_RETENTION_SECONDS', value: String(retention) },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ] : [{ name: 'LOCUST_WEB_PORT', value: String(this.webPort) }]),
      ...this.env,
    ];
    const masterContainer = {
      name: 'master',
      image: props.image,
      ...(headless ? { command: ['sh', '-c', HEADLESS_MASTER_SCRIPT] } : {}),
      ports: [
        { name: 'master', containerPort: masterPort, protocol: 'TCP' },
        ...(this.webPort !== undefined ? [{ name: 'web', containerPort: this.webPort, protocol: 'TCP' }] : []),
      ],
      env: masterEnv,
      ...(this.webPort !== undefined ? {
        readinessProbe: { httpGet: { path: '/', port: 'web' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
      } : {}),
      resources: this.resources,
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [...mounts, ...(headless ? [{ name: 'reports', mountPath: REPORTS_DIR }] : [])],
    };
    const masterPod = {
      ...this.podTemplate({
        ...(headless ? { restartPolicy: 'Never' } : {}),
        containers: [masterContainer],
        volumes: [...volumes, ...(headless ? [{ name: 'reports', emptyDir: { sizeLimit: '1Gi' } }] : [])],
      }),
    };
    (masterPod.metadata as any).labels = masterRole.labels;

    const workerContainer = {
      name: 'worker',
      image: props.image,
      env: [
        ...common,
        { name: 'LOCUST_MODE_WORKER', value: 'true' },
        { name: 'LOCUST_MASTER_NODE_HOST', value: masterName },
        { name: 'LOCUST_MASTER_NODE_PORT', value: String(masterPort) },
        ...this.env,
      ],
      resources: workerResources,
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: mounts,
    };
    const workerPod = this.podTemplate({
      ...(headless ? { restartPolicy: 'OnFailure' } : {}),
      containers: [workerContainer],
      volumes,
    });
    (workerPod.metadata as any).labels = workerRole.labels;

    this.masterService = this.object('MasterService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: masterName, labels: masterRole.labels },
      spec: {
        type: 'ClusterIP',
        selector: this.masterSelector,
        ports: [{ name: 'master', port: masterPort, targetPort: masterPort, protocol: 'TCP' }],
      },
    });
    if (webType && this.webPort !== undefined) {
      this.webService = this.object('WebService', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: webName, labels: masterRole.labels },
        spec: {
          type: webType.type,
          selector: this.masterSelector,
          ports: [{ name: 'web', port: this.webPort, targetPort: this.webPort, protocol: 'TCP' }],
        },
      });
    }
    // The master admits its workers on the master port only, and outside traffic on the web UI
    // when that Service is a LoadBalancer or NodePort; the workers listen on nothing.
    this.admitIngress({
      selector: this.masterSelector,
      ports: this.ports.filter((p) => p.name === 'master'),
      external: webType?.external ? { ports: this.ports.filter((p) => p.name === 'web') } : undefined,
    });

    if (headless) {
      this.master = this.object('Master', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: masterName, labels: masterRole.labels },
        spec: {
          // A failed run is a result, not something to retry: its reports stay in the pod.
          backoffLimit: 0,
          activeDeadlineSeconds: maxWait + runTime + STOP_MARGIN_SECONDS + retention,
          template: masterPod,
        },
      });
      this.workerSet = this.object('Workers', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: workerName, labels: workerRole.labels },
        spec: {
          parallelism: workers,
          completions: workers,
          // A worker started before the master is up exits and is restarted; one whose master has
          // quit exits 0 and completes.
          backoffLimit: 6 * workers,
          activeDeadlineSeconds: maxWait + runTime + STOP_MARGIN_SECONDS,
          template: workerPod,
        },
      });
    } else {
      this.master = this.object('Master', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: masterName, labels: masterRole.labels },
        spec: {
          replicas: 1,
          // Never two masters: workers would split between them.
          strategy: { type: 'Recreate' },
          selector: { matchLabels: this.masterSelector },
          template: masterPod,
        },
      });
      this.workerSet = this.object('Workers', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: workerName, labels: workerRole.labels },
        spec: {
          replicas: workers,
          selector: { matchLabels: this.workerSelector },
          template: workerPod,
        },
      });
    }
    addConfigHash(this.master, { configMaps: [this.configMap] });
    addConfigHash(this.workerSet, { configMaps: [this.configMap] });

    if (targets) {
      const dns = {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      };
      this.masterEgress = this.object('MasterEgress', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `${masterName}-egress`, labels: masterRole.labels },
        spec: { podSelector: { matchLabels: this.masterSelector }, policyTypes: ['Egress'], egress: [dns] },
      });
      this.workerEgress = this.object('WorkerEgress', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `${workerName}-egress`, labels: workerRole.labels },
        spec: {
          podSelector: { matchLabels: this.workerSelector },
          policyTypes: ['Egress'],
          egress: [
            dns,
            { to: [{ podSelector: { matchLabels: this.masterSelector } }], ports: [{ protocol: 'TCP', port: masterPort }] },
            ...targets.map((t) => ({
              to: [{
                ...(t.namespace !== undefined ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': t.namespace } } } : {}),
                podSelector: { matchLabels: { ...t.podSelector } },
              }],
              ports: [{ protocol: 'TCP', port: t.port }],
            })),
          ],
        },
      });
    }

    this.node.addValidation({ validate: () => this.checkLinedUp() });
  }

  /**
   * The rendered objects agree with each other: worker count, master port and host, web port.
   * Returns one message per disagreement.
   */
  public checkLinedUp(): string[] {
    const errors: string[] = [];
    const master = this.master.toJson() as any;
    const workers = this.workerSet.toJson() as any;
    const service = this.masterService.toJson() as any;
    const masterC = master.spec?.template?.spec?.containers?.[0] ?? {};
    const workerC = workers.spec?.template?.spec?.containers?.[0] ?? {};
    const env = (c: any, n: string): string | undefined => (c.env ?? []).find((e: any) => e.name === n)?.value;
    const port = (c: any, n: string): number | undefined => (c.ports ?? []).find((p: any) => p.name === n)?.containerPort;
    const svcPort = (s: any, n: string) => (s.spec?.ports ?? []).find((p: any) => p.name === n) ?? {};

    if (master.kind === 'Job') {
      const expected = env(masterC, 'LOCUST_EXPECT_WORKERS');
      const counts = { parallelism: workers.spec?.parallelism, completions: workers.spec?.completions };
      for (const [field, value] of Object.entries(counts)) {
        if (String(value) !== expected) errors.push(`--expect-workers ${show(expected)} of ${master.metadata.name} is not the ${field} ${show(value)} of ${workers.metadata.name}: the master would wait for workers that never come, or start without some; expected them equal`);
      }
    } else if (env(masterC, 'LOCUST_EXPECT_WORKERS') !== undefined) {
      errors.push(`${master.metadata.name} sets --expect-workers in interactive mode, where Locust ignores it: expected it only on a headless master`);
    }
    const bind = env(masterC, 'LOCUST_MASTER_BIND_PORT');
    const sp = svcPort(service, 'master');
    const lined: [string, unknown][] = [
      [`the master's container port "master"`, port(masterC, 'master')],
      [`the port of Service ${service.metadata.name}`, sp.port],
      [`the target port of Service ${service.metadata.name}`, sp.targetPort],
      [`the workers' --master-port`, env(workerC, 'LOCUST_MASTER_NODE_PORT')],
    ];
    for (const [what, value] of lined) {
      if (String(value) !== bind) errors.push(`${what} ${show(value)} is not the master's --master-bind-port ${show(bind)}: the workers would never connect; expected them equal`);
    }
    const host = env(workerC, 'LOCUST_MASTER_NODE_HOST');
    if (host !== service.metadata.name) errors.push(`the workers' --master-host ${show(host)} is not the master Service ${show(service.metadata.name)}: expected the Service's name`);
    if (this.webService) {
      const web = this.webService.toJson() as any;
      const webPort = env(masterC, 'LOCUST_WEB_PORT');
      const wp = svcPort(web, 'web');
      for (const [what, value] of [[`the master's container port "web"`, port(masterC, 'web')], [`the target port of Service ${web.metadata.name}`, wp.targetPort]] as const) {
        if (String(value) !== webPort) errors.push(`${what} ${show(value)} is not the master's --web-port ${show(webPort)}: the web UI would be unreachable; expected them equal`);
      }
    }
    return errors;
  }

  private unprivilegedPort(prop: string, value: number): number {
    checkPort(this, prop, value);
    if (value < 1024) throw new PropError(this, prop, `${prop} ${value} is a privileged port: Locust runs as a non-root user without capabilities; expected a port in range 1024-65535`);
    return value;
  }

  private validateFiles(props: LocustLoadTestProps): { locustfileName: string; data: Record<string, string> } {
    const locustfileName = props.locustfileName ?? LOCUST_LOAD_TEST_DEFAULTS.locustfileName;
    if (typeof locustfileName !== 'string' || !MODULE_FILE.test(locustfileName)) {
      throw new PropError(this, 'locustfileName', `locustfileName ${show(locustfileName)} is not a Python module file name: expected letters, digits and '_' followed by .py`);
    }
    if (typeof props.locustfile !== 'string' || props.locustfile.trim() === '') {
      throw new PropError(this, 'locustfile', `locustfile ${show(props.locustfile)} is empty or not a string: expected the locustfile's Python source`);
    }
    const data: Record<string, string> = { [locustfileName]: props.locustfile };
    const modules = props.modules ?? {};
    if (modules === null || typeof modules !== 'object' || Array.isArray(modules)) {
      throw new PropError(this, 'modules', `modules ${show(modules)} is not an object: expected { 'helpers.py': source }`);
    }
    for (const [file, source] of Object.entries(modules)) {
      if (!MODULE_FILE.test(file)) throw new PropError(this, 'modules', `modules key ${show(file)} is not a Python module file name: expected letters, digits and '_' followed by .py`);
      if (file === locustfileName) throw new PropError(this, 'modules', `modules key ${show(file)} is the locustfile's own name: expected another name`);
      if (typeof source !== 'string') throw new PropError(this, 'modules', `modules ${file} ${show(source)} is not a string: expected Python source`);
      data[file] = source;
    }
    const bytes = Object.entries(data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (bytes > CONFIG_MAP_MAX_BYTES) {
      throw new PropError(this, 'modules', `modules and locustfile of ${bytes} bytes do not fit in a ConfigMap: expected at most ${CONFIG_MAP_MAX_BYTES} bytes (put large modules in the image)`);
    }
    return { locustfileName, data };
  }

  private validateHost(host: string | undefined, headless: boolean): string | undefined {
    if (host === undefined) {
      if (headless) throw new PropError(this, 'host', 'host undefined is required in headless mode: nobody types it into a web UI; expected the target, e.g. "todo-api.todo-api.svc:10000"');
      return undefined;
    }
    if (typeof host !== 'string' || host === '' || /\s/.test(host)) {
      throw new PropError(this, 'host', `host ${show(host)} is not a target: expected "host:port" or a URL, without spaces`);
    }
    return host;
  }

  private validateTargets(targets: LocustTarget[] | undefined): LocustTarget[] | undefined {
    if (targets === undefined) return undefined;
    if (!Array.isArray(targets) || targets.length === 0) {
      throw new PropError(this, 'targets', `targets ${show(targets)} is not a non-empty list: expected [{ podSelector, namespace, port }], or no targets for unrestricted egress`);
    }
    return targets.map((t) => {
      if (t === null || typeof t !== 'object') throw new PropError(this, 'targets', `targets entry ${show(t)} is not an object: expected { podSelector, namespace, port }`);
      const sel = t.podSelector;
      if (!sel || typeof sel !== 'object' || Array.isArray(sel) || Object.keys(sel).length === 0) {
        throw new PropError(this, 'targets.podSelector', `targets.podSelector ${show(sel)} is an empty pod selector: it would let the workers reach every pod; expected the labels of the target's pods`);
      }
      checkLabels(this, 'targets.podSelector', sel);
      if (t.namespace !== undefined) checkDns1123Label(this, 'targets.namespace', t.namespace);
      checkPort(this, 'targets.port', t.port);
      return t;
    });
  }
}
