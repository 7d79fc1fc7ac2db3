import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  ARGOCD_SYNC_WAVE, BlueGreenProbe, BlueGreenService, Color, EnvVar, MONGO_SECRET_KEYS, MongoReplicaSet, PREVIEW_TARGET_ENV,
  SecureNamespace, ServiceType,
} from '../../constructs';
import { Environment, defineSettings, int, oneOf, optionalSetting, pinnedImageTag, setting } from '../env';
import { ChartDefinition } from './chart';
import { LOADTEST_NAMESPACE, loadTestWorkerLabels } from './loadtest-workers';

/** The namespace, the Deployments (`todo-api-blue`, `todo-api-green`) and the seed marker are what lib/release expects. */
export const TODO_API_NAMESPACE = 'todo-api';
export const TODO_API_NAME = 'todo-api';
/** The port the program listens on (`todo-api serve --port`, its default). */
export const TODO_API_PORT = 10000;
const PART_OF = 'todo-api';

/** The env-file keys of this chart. */
export const TODO_API_SETTINGS = defineSettings('todo-api', {
  activeColor: setting('TODO_API_ACTIVE_COLOR', oneOf(['blue', 'green']), {
    default: 'blue',
    doc: 'The colour the public Service `todo-api` selects; the preview Service `todo-api-preview` selects the other. `npm run release` flips it.',
  }),
  blueTag: optionalSetting('TODO_API_BLUE_TAG', pinnedImageTag(), {
    doc: 'Tag of `<IMAGE_REGISTRY>/todo-api` that `todo-api-blue` runs (absent: `IMAGE_TAG`). `npm run release` writes it when blue is idle.',
  }),
  greenTag: optionalSetting('TODO_API_GREEN_TAG', pinnedImageTag(), {
    doc: 'Tag of `<IMAGE_REGISTRY>/todo-api` that `todo-api-green` runs (absent: `IMAGE_TAG`). `npm run release` writes it when green is idle.',
  }),
  minReplicas: setting('TODO_API_MIN_REPLICAS', int(1, 100), { default: '1', doc: 'Fewest pods of each colour (its HorizontalPodAutoscaler\'s minimum).' }),
  maxReplicas: setting('TODO_API_MAX_REPLICAS', int(1, 100), { default: '10', doc: 'Most pods of each colour (its HorizontalPodAutoscaler\'s maximum).' }),
  cpuTarget: setting('TODO_API_CPU_TARGET', int(1, 100), { default: '80', doc: 'Average CPU use, in percent of the request, the autoscalers keep.' }),
  serviceType: setting('TODO_API_SERVICE_TYPE', oneOf(['ClusterIP', 'LoadBalancer']), { default: 'ClusterIP', doc: 'How the public Service `todo-api` is exposed (the preview Service is always ClusterIP).' }),
  mongoMembers: setting('TODO_API_MONGO_MEMBERS', int(1, 7), { default: '3', doc: 'Members of the MongoDB replica set `mongo` (1 is a single-member replica set).' }),
  argoCdHooks: setting('TODO_API_ARGOCD_HOOKS', oneOf(['true', 'false']), {
    default: 'false',
    doc: 'Argo CD hooks and sync waves: MongoDB → seed → idle colour ready → smoke → public Service, for a GitOps sync without `npm run release`.',
  }),
});

/** The program's resources: the autoscalers' 80% is of the CPU request. */
export const TODO_API_RESOURCES = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } } as const;

/**
 * The todo-api system of the second article, in namespace `todo-api` (Pod Security "restricted"):
 *
 * - `todo-api` released blue/green (`BlueGreenService`): Deployments `todo-api-blue` and
 *   `todo-api-green`, each with its own tag of `<IMAGE_REGISTRY>/todo-api` and its own
 *   HorizontalPodAutoscaler (the article's `kubectl autoscale … --min=1 --max=10 --cpu-percent=80`),
 *   the public Service `todo-api` on the active colour (a LoadBalancer where the environment says so)
 *   and `todo-api-preview` on the idle one, kept warm so that a release can be smoke-tested;
 * - MongoDB as the replica set `mongo` (`rs0`, Secret `mongo-auth`), reached only by the todo-api
 *   pods and the seed Job. The article used the retired `stable/mongodb` Helm chart;
 * - the seed Job (`todo-api seed`, idempotent) and the smoke Job (`todo-api smoke --target
 *   todo-api-preview:10000`), both on the idle colour's image, labelled
 *   `app.kubernetes.io/component: seed` / `smoke` for `npm run release`.
 *
 * The program reads MongoDB from MONGODB_HOST, MONGODB_USERNAME, MONGODB_PASSWORD (from the Secret),
 * MONGODB_REPLICA_SET and MONGODB_AUTH_SOURCE: the password never goes into a URL, so it needs no escaping.
 */
export class TodoApiChart extends Chart {
  public readonly mongo: MongoReplicaSet;
  public readonly todoApi: BlueGreenService;

  constructor(scope: Construct, env: Environment) {
    super(scope, 'todo-api', { namespace: TODO_API_NAMESPACE, disableResourceNameHashes: true });
    const s = TODO_API_SETTINGS.of(env);
    if (s.maxReplicas < s.minReplicas) {
      throw new Error(`${env.file}: TODO_API_MAX_REPLICAS ${s.maxReplicas} is below TODO_API_MIN_REPLICAS ${s.minReplicas}: expected at least ${s.minReplicas}`);
    }
    const argo = s.argoCdHooks === 'true';
    new SecureNamespace(this, 'Namespace', { name: TODO_API_NAMESPACE, partOf: PART_OF });

    this.mongo = new MongoReplicaSet(this, 'mongo', {
      replicas: s.mongoMembers,
      replicaSetName: 'rs0',
      storageSize: '10Gi',
      partOf: PART_OF,
    });
    const mongoEnv: EnvVar[] = [
      { name: 'MONGODB_HOST', value: this.mongo.hosts.join(',') },
      { name: 'MONGODB_REPLICA_SET', value: this.mongo.replicaSetName },
      { name: 'MONGODB_USERNAME', value: this.mongo.adminUsername },
      { name: 'MONGODB_PASSWORD', valueFrom: { secretKeyRef: { name: this.mongo.authSecretName, key: MONGO_SECRET_KEYS.adminPassword } } },
      { name: 'MONGODB_AUTH_SOURCE', value: 'admin' },
    ];

    this.todoApi = new BlueGreenService(this, TODO_API_NAME, {
      appName: TODO_API_NAME,
      partOf: PART_OF,
      imageRepository: `${env.images.registry}/todo-api`,
      blueTag: s.blueTag ?? env.images.tag,
      greenTag: s.greenTag ?? env.images.tag,
      activeColor: s.activeColor as Color,
      port: TODO_API_PORT,
      portName: 'grpc',
      appProtocol: 'grpc',
      probe: BlueGreenProbe.grpc(),
      serviceType: s.serviceType as ServiceType,
      resources: TODO_API_RESOURCES,
      env: mongoEnv,
      autoscaling: { minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, cpuUtilization: s.cpuTarget },
      seedJob: { args: ['seed'], env: mongoEnv },
      smokeJob: { args: ['smoke', '--target', `$(${PREVIEW_TARGET_ENV})`] },
      argoCdHooks: argo,
    });

    // Who talks to whom: the colours and the seed Job to MongoDB, the smoke Job to the preview Service.
    this.mongo.allowFrom(this.todoApi.selector);
    this.mongo.allowFrom(this.todoApi.jobSelector('seed'));
    this.todoApi.allowFrom(this.todoApi.jobSelector('smoke'));
    // The loadtest chart's Locust workers drive GetTodos (the article's load test).
    this.todoApi.allowFrom(loadTestWorkerLabels('todo-api'), LOADTEST_NAMESPACE);

    if (argo) {
      // Everything the release does not order (the namespace, MongoDB) comes before the seed.
      for (const c of this.node.findAll()) {
        if (c instanceof ApiObject && !c.node.path.startsWith(this.todoApi.node.path + '/')) c.metadata.addAnnotation(ARGOCD_SYNC_WAVE, '-2');
      }
    }
  }
}

export const todoApiChart: ChartDefinition = {
  name: 'todo-api',
  build: (scope, env) => new TodoApiChart(scope, env),
  settings: TODO_API_SETTINGS,
};
