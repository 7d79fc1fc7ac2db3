import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { LocustLoadTest, LocustMode, SecureNamespace, ServiceType } from '../../constructs';
import { Environment, defineSettings, int, oneOf, setting } from '../env';
import { LOCUSTFILES } from '../loadtest/locustfiles.generated';
import { ChartDefinition } from './chart';
import { FOURHUNDRED_NAMESPACE, FOURHUNDRED_SETTINGS, WHOAMI_LABELS } from './fourhundred';
import { LOADTEST_NAMESPACE, LoadTestTarget, loadTestName, loadTestWorkerLabels } from './loadtest-workers';

export { LOADTEST_NAMESPACE, LOADTEST_TARGETS, LoadTestTarget, loadTestName, loadTestWorkerLabels } from './loadtest-workers';

/** The gRPC port of the whoami fleet's pods and of todo-api's. */
export const TARGET_PORT = 10000;
/** todo-api's namespace and the labels of its pods (the todo-api chart's `todo-api` workload). */
export const TODO_API_NAMESPACE = 'todo-api';
export const TODO_API_POD_LABELS = { 'app.kubernetes.io/name': 'todo-api', 'app.kubernetes.io/instance': 'todo-api' } as const;

/** The env-file keys of this chart. */
export const LOADTEST_SETTINGS = defineSettings('loadtest', {
  targets: setting('LOADTEST_TARGETS', oneOf(['whoami,todo-api', 'whoami', 'todo-api']), { default: 'whoami,todo-api', doc: 'What the loadtest chart loads: one Locust master and its workers per target (`whoami`: the fourhundred fleet; `todo-api`: todo-api\'s `GetTodos`).' }),
  mode: setting('LOADTEST_MODE', oneOf(['interactive', 'headless']), { default: 'interactive', doc: '`interactive`: Locust\'s web UI starts and stops runs; `headless`: applying the output starts a run of `LOADTEST_RUN_TIME_SECONDS` whose reports stay in the master pod.' }),
  workers: setting('LOADTEST_WORKERS', int(1, 1000), { default: '1', doc: 'Locust workers per target (the article ran 14).' }),
  users: setting('LOADTEST_USERS', int(1, 1_000_000), { default: '10', doc: 'Peak users per target (`--users`; interactive: the web UI\'s default).' }),
  spawnRate: setting('LOADTEST_SPAWN_RATE', int(1, 1_000_000), { default: '1', doc: 'Users started per second (`--spawn-rate`; interactive: the web UI\'s default); at most `LOADTEST_USERS`.' }),
  runTimeSeconds: setting('LOADTEST_RUN_TIME_SECONDS', int(1, 604_800), { default: '600', doc: 'Headless: how long a run lasts (`--run-time`).' }),
  webServiceType: setting('LOADTEST_WEB_SERVICE_TYPE', oneOf(['ClusterIP', 'LoadBalancer', 'NodePort']), { default: 'ClusterIP', doc: 'Interactive: how the Locust web UI (port 8089) is exposed.' }),
});

/**
 * Distributed Locust against the project's gRPC systems, in namespace `loadtest`: for each target
 * of `LOADTEST_TARGETS` a `LocustLoadTest` (`locust-whoami`, `locust-todo-api`) of the project's
 * load-test image (lib/loadtest/Dockerfile) running the target's locustfile from a ConfigMap.
 *
 * - whoami: the fourhundred fleet's first service (`service-000.fourhundred.svc:10000`); the
 *   workers may reach every whoami pod of the fleet, so the web UI can point a run at any member.
 * - todo-api: the `todo-api` Service of namespace `todo-api` on 10000 (`GetTodos`).
 *
 * NetworkPolicies: the workers reach their master, the cluster DNS and their target's pods on
 * 10000, nothing else; the masters only the DNS. The fourhundred fleet admits the whoami workers;
 * todo-api must admit `loadTestWorkerLabels('todo-api')` from namespace `loadtest`.
 */
export class LoadTestChart extends Chart {
  public readonly tests: Readonly<Partial<Record<LoadTestTarget, LocustLoadTest>>>;

  constructor(scope: Construct, env: Environment) {
    super(scope, 'loadtest', { namespace: LOADTEST_NAMESPACE, disableResourceNameHashes: true });
    new SecureNamespace(this, 'Namespace', { name: LOADTEST_NAMESPACE, partOf: 'loadtest' });
    const s = LOADTEST_SETTINGS.of(env);
    const image = `${env.images.registry}/mega8s-locust:${env.images.tag}`;
    const headless = s.mode === 'headless';
    const fleetSize = FOURHUNDRED_SETTINGS.of(env).fleetSize;

    const targets = {
      'whoami': {
        locustfile: 'whoami_locustfile.py',
        host: `service-000.${FOURHUNDRED_NAMESPACE}.svc:${TARGET_PORT}`,
        pods: { podSelector: { ...WHOAMI_LABELS }, namespace: FOURHUNDRED_NAMESPACE, port: TARGET_PORT },
      },
      'todo-api': {
        locustfile: 'todos_locustfile.py',
        host: `todo-api.${TODO_API_NAMESPACE}.svc:${TARGET_PORT}`,
        pods: { podSelector: { ...TODO_API_POD_LABELS }, namespace: TODO_API_NAMESPACE, port: TARGET_PORT },
      },
    } as const;

    const tests: Partial<Record<LoadTestTarget, LocustLoadTest>> = {};
    for (const target of s.targets.split(',') as LoadTestTarget[]) {
      if (target === 'whoami' && fleetSize === 0) {
        throw new Error(`environment ${env.name}: LOADTEST_TARGETS includes whoami but FOURHUNDRED_FLEET_SIZE is 0: there is no whoami service to load; expected a fleet, or LOADTEST_TARGETS=todo-api`);
      }
      const t = targets[target];
      const locustfile = LOCUSTFILES[t.locustfile];
      if (locustfile === undefined) throw new Error(`lib/loadtest/locustfiles.generated.ts has no ${t.locustfile}: run npm run loadtest:embed`);
      tests[target] = new LocustLoadTest(this, loadTestName(target), {
        image,
        partOf: 'loadtest',
        locustfile,
        locustfileName: t.locustfile,
        host: t.host,
        workers: s.workers,
        users: s.users,
        spawnRate: s.spawnRate,
        mode: headless ? LocustMode.HEADLESS : LocustMode.INTERACTIVE,
        ...(headless ? { runTimeSeconds: s.runTimeSeconds } : { webServiceType: s.webServiceType as ServiceType }),
        targets: [t.pods],
      });
      // The targets admit these labels (fourhundred.ts; todo-api): they must be the workers'.
      const admitted = JSON.stringify(loadTestWorkerLabels(target));
      if (JSON.stringify(tests[target]!.workerSelector) !== admitted) {
        throw new Error(`loadtest chart: the workers of ${loadTestName(target)} are ${JSON.stringify(tests[target]!.workerSelector)}, but their target admits ${admitted}: expected them equal (lib/charts/loadtest-workers.ts)`);
      }
    }
    this.tests = tests;
  }
}

export const loadtestChart: ChartDefinition = {
  name: 'loadtest',
  build: (scope, env) => new LoadTestChart(scope, env),
  settings: LOADTEST_SETTINGS,
};
