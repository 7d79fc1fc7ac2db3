import { spawn, spawnSync } from 'child_process';
import { NodeSelectorOperator, TaintEffect, TolerationOperator } from './workload';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import { App, Chart, Testing } from 'cdk8s';
import { toYamlDocuments } from '../lib/synth/yaml';
import { CONFIG_HASH_ANNOTATION } from './config-hash';
import { errorOf } from '../lib/testing';
import {
  AntiAffinity, MONGO_REPLICA_SET_DEFAULTS, MongoReplicaSet, MongoReplicaSetProps,
} from './mongo-replica-set';
import { MONGO_INIT_SCRIPT_BODY, MONGO_INIT_SCRIPT_PATH, MONGO_MEMBER_SCRIPT, MongoInitConfig, mongoInitScript } from './scripts/mongo';

/** The member entrypoint as it is in the repository (scripts.test.ts proves the embedded copy equal). */
const ENTRYPOINT_FILE = path.join(__dirname, 'scripts', 'mongo-entrypoint.sh');

function chartIn(namespace: string | undefined = 'shippy'): Chart {
  return new Chart(new App(), 'test', { namespace, disableResourceNameHashes: true });
}

function build(props: MongoReplicaSetProps = {}, namespace = 'shippy') {
  const chart = chartIn(namespace);
  const mongo = new MongoReplicaSet(chart, 'mongo', props);
  const objects = Testing.synth(chart);
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const one = (kind: string) => {
    const found = of(kind);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const sts = one('StatefulSet');
  const pod = sts.spec.template.spec;
  const mongod = pod.containers.find((c: any) => c.name === 'mongod');
  return { chart, mongo, objects, of, one, sts, pod, mongod };
}


describe('MongoReplicaSet objects', () => {
  test('a StatefulSet of 3 members running mongod --replSet rs0 --bind_ip_all --keyFile on port 27017 named mongodb', () => {
    const { sts, mongod } = build();
    expect(sts.metadata.name).toBe('mongo');
    expect(sts.metadata.namespace).toBe('shippy');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.serviceName).toBe('mongo');
    expect(mongod.image).toBe('mongo:7.0.15');
    expect(mongod.command).toEqual(['/bin/sh', '/etc/mongo-scripts/member.sh']);
    expect(mongod.args.slice(0, 2)).toEqual(['mongod', '--replSet']);
    const arg = (flag: string) => mongod.args[mongod.args.indexOf(flag) + 1];
    expect(arg('--replSet')).toBe('rs0');
    expect(mongod.args).toContain('--bind_ip_all');
    expect(arg('--keyFile')).toBe('/etc/mongo-keyfile/keyfile');
    expect(arg('--port')).toBe('27017');
    expect(arg('--dbpath')).toBe('/data/db');
    expect(arg('--wiredTigerCacheSizeGB')).toBe('0.25');
    expect(mongod.ports).toEqual([{ name: 'mongodb', containerPort: 27017, protocol: 'TCP' }]);
  });

  test('members start in parallel: member 0 initiates only once every member answers', () => {
    expect(build().sts.spec.podManagementPolicy).toBe('Parallel');
  });

  test('the headless Service publishes members before they are ready', () => {
    const { one } = build();
    const svc = one('Service');
    expect(svc.metadata.name).toBe('mongo');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.publishNotReadyAddresses).toBe(true);
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'mongodb', 'app.kubernetes.io/instance': 'mongo' });
    expect(svc.spec.ports).toEqual([{ name: 'mongodb', protocol: 'TCP', port: 27017, targetPort: 'mongodb' }]);
  });

  test('stable member DNS names and the connection string', () => {
    const { mongo } = build();
    expect(mongo.hosts).toEqual([
      'mongo-0.mongo.shippy.svc.cluster.local:27017',
      'mongo-1.mongo.shippy.svc.cluster.local:27017',
      'mongo-2.mongo.shippy.svc.cluster.local:27017',
    ]);
    expect(mongo.connectionString).toBe('mongodb://mongo-0.mongo.shippy.svc.cluster.local:27017,mongo-1.mongo.shippy.svc.cluster.local:27017,mongo-2.mongo.shippy.svc.cluster.local:27017/?replicaSet=rs0');
  });

  test('member names follow name, namespace, member count, set name and cluster domain', () => {
    const { mongo } = build({ name: 'db', replicas: 5, replicaSetName: 'main', clusterDomain: 'corp.example' }, 'data');
    expect(mongo.hosts).toHaveLength(5);
    expect(mongo.hosts[4]).toBe('db-4.db.data.svc.corp.example:27017');
    expect(mongo.connectionString).toMatch(/^mongodb:\/\/db-0\.db\.data\.svc\.corp\.example:27017,.*,db-4\.db\.data\.svc\.corp\.example:27017\/\?replicaSet=main$/);
  });

  test('volume claims: 10Gi on the named storage class, mounted at /data/db', () => {
    const { sts, mongod } = build({ storageClassName: 'fast' });
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    const claim = sts.spec.volumeClaimTemplates[0];
    expect(claim.metadata.name).toBe('data');
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(claim.spec.storageClassName).toBe('fast');
    expect(claim.spec.resources.requests.storage).toBe('10Gi');
    expect(mongod.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data/db' });
    // The claim template as the API server stores it (Kubernetes 1.27), so that a client-side
    // re-apply sends no patch: volumeClaimTemplates is an atomic list, compared as a whole.
    expect(claim).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { creationTimestamp: null, name: 'data', labels: { 'app.kubernetes.io/name': 'mongodb', 'app.kubernetes.io/instance': 'mongo' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, storageClassName: 'fast', volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    });
  });

  test('without storageClassName the claim uses the cluster default class', () => {
    const { sts, of } = build({ storageSize: '50Gi' });
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
    expect(of('StorageClass')).toHaveLength(0);
    // The size as the API server stores it: 1024Gi would read back as 1Ti.
    expect(build({ storageSize: '1024Gi' }).sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Ti');
  });

  test('createStorageClass makes the GKE SSD class the claims name, cluster-scoped', () => {
    const { one, sts, mongo } = build({ storageClassName: 'fast', createStorageClass: true });
    const sc = one('StorageClass');
    expect(sc.metadata.name).toBe('fast');
    expect(sc.metadata.namespace).toBeUndefined();
    expect(sc.provisioner).toBe('pd.csi.storage.gke.io');
    expect(sc.parameters).toEqual({ type: 'pd-ssd' });
    expect(sc.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(sc.allowVolumeExpansion).toBe(true);
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBe(sc.metadata.name);
    expect(mongo.storageClass?.name).toBe('fast');
  });

  test('keyfile: the Secret is mounted 0400 into an init container that copies it into a memory emptyDir with mode 0400', () => {
    const { pod, mongod } = build({ authSecretName: 'my-mongo-secret' });
    const secretVolume = pod.volumes.find((v: any) => v.name === 'keyfile-secret');
    expect(secretVolume.secret).toEqual({ secretName: 'my-mongo-secret', defaultMode: 0o400, items: [{ key: 'keyfile', path: 'keyfile' }] });
    const keyfileVolume = pod.volumes.find((v: any) => v.name === 'keyfile');
    expect(keyfileVolume.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });

    expect(pod.initContainers).toHaveLength(1);
    const init = pod.initContainers[0];
    expect(init.name).toBe('copy-keyfile');
    expect(init.command).toEqual(['/bin/sh', '-c', 'set -eu; rm -f /etc/mongo-keyfile/keyfile; cp /etc/mongo-keyfile-secret/keyfile /etc/mongo-keyfile/keyfile; chmod 0400 /etc/mongo-keyfile/keyfile']);
    expect(init.volumeMounts).toEqual([
      { name: 'keyfile-secret', mountPath: '/etc/mongo-keyfile-secret', readOnly: true },
      { name: 'keyfile', mountPath: '/etc/mongo-keyfile' },
    ]);
    // Owned by 999: the init container runs as the pod's uid 999 (gid 999, fsGroup 999).
    expect(init.securityContext.runAsUser).toBeUndefined();
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true });
    // mongod reads the copy, never the group-readable Secret file.
    expect(mongod.volumeMounts).toContainEqual({ name: 'keyfile', mountPath: '/etc/mongo-keyfile', readOnly: true });
    expect(mongod.volumeMounts.some((m: any) => m.name === 'keyfile-secret')).toBe(false);
    expect(pod.containers).toHaveLength(1); // no sidecar
  });

  test('the init container\'s command really leaves a 0400 copy that a re-run replaces', () => {
    const { pod } = build();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-keyfile-'));
    try {
      const secretDir = path.join(dir, 'secret');
      const keyDir = path.join(dir, 'key');
      fs.mkdirSync(secretDir);
      fs.mkdirSync(keyDir);
      fs.writeFileSync(path.join(secretDir, 'keyfile'), 'c2VjcmV0LWtleQ==\n', { mode: 0o440 });
      const command: string = pod.initContainers[0].command[2];
      const local = command.split('/etc/mongo-keyfile-secret').join(secretDir).split('/etc/mongo-keyfile').join(keyDir);
      for (let run = 0; run < 2; run++) {
        const r = spawnSync('/bin/sh', ['-c', local], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(fs.statSync(path.join(keyDir, 'keyfile')).mode & 0o777).toBe(0o400);
        expect(fs.readFileSync(path.join(keyDir, 'keyfile'), 'utf8')).toBe('c2VjcmV0LWtleQ==\n');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('readiness: db.hello() is primary or secondary; liveness: ping; both with mongosh', () => {
    const { mongod } = build();
    const cmd = (probe: any) => probe.exec.command;
    expect(cmd(mongod.readinessProbe).slice(0, 5)).toEqual(['mongosh', '--quiet', '--norc', '--port', '27017']);
    expect(cmd(mongod.readinessProbe).slice(5)).toEqual(['--eval', 'const h = db.hello(); if (!(h.isWritablePrimary || h.secondary)) quit(1)']);
    expect(cmd(mongod.livenessProbe)).toEqual(['mongosh', '--quiet', '--norc', '--port', '27017', '--eval', "db.adminCommand('ping')"]);
    expect(cmd(mongod.startupProbe)).toEqual(cmd(mongod.livenessProbe));
    expect(mongod.livenessProbe.timeoutSeconds).toBeGreaterThanOrEqual(5);
  });

  test('terminationGracePeriodSeconds defaults to 30 (a primary steps down on SIGTERM), and mongod\'s step-down wait fits inside it', () => {
    const stepDown = (b: ReturnType<typeof build>) => {
      const args: string[] = b.pod.containers[0].args;
      const i = args.indexOf('--setParameter');
      expect(args.filter((a) => a === '--setParameter')).toHaveLength(1);
      return args[i + 1];
    };
    const d = build();
    expect(d.pod.terminationGracePeriodSeconds).toBe(30);
    expect(stepDown(d)).toBe('shutdownTimeoutMillisForSignaledShutdown=15000');
    expect(build({ terminationGraceSeconds: 45 }).pod.terminationGracePeriodSeconds).toBe(45);
    expect(stepDown(build({ terminationGraceSeconds: 45 }))).toBe('shutdownTimeoutMillisForSignaledShutdown=15000');
    // A shorter budget (a node drain's grace period) shortens the wait: 5 s stay for mongod to exit.
    const short = build({ terminationGraceSeconds: 15 });
    expect(short.pod.terminationGracePeriodSeconds).toBe(15);
    expect(stepDown(short)).toBe('shutdownTimeoutMillisForSignaledShutdown=10000');
    expect(stepDown(build({ terminationGraceSeconds: 60, shutdownTimeoutSeconds: 40 }))).toBe('shutdownTimeoutMillisForSignaledShutdown=40000');
  });

  test('PodDisruptionBudget maxUnavailable 1 over the members', () => {
    const { one, sts } = build();
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector).toEqual({ matchLabels: sts.spec.selector.matchLabels });
  });

  test('3 or more members: required anti-affinity on hostname, preferred on zone', () => {
    const anti = build().pod.affinity.podAntiAffinity;
    expect(anti.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'mongodb', 'app.kubernetes.io/instance': 'mongo' } },
      topologyKey: 'kubernetes.io/hostname',
    }]);
    expect(anti.preferredDuringSchedulingIgnoredDuringExecution.map((t: any) => t.podAffinityTerm.topologyKey)).toEqual(['topology.kubernetes.io/zone']);
  });

  test('preferred anti-affinity as an option, and the default below 3 members', () => {
    for (const props of [{ antiAffinity: AntiAffinity.PREFERRED }, { replicas: 2 }]) {
      const anti = build(props).pod.affinity.podAntiAffinity;
      expect(anti.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
      expect(anti.preferredDuringSchedulingIgnoredDuringExecution.map((t: any) => [t.weight, t.podAffinityTerm.topologyKey]))
        .toEqual([[100, 'kubernetes.io/hostname'], [50, 'topology.kubernetes.io/zone']]);
    }
  });

  test('tolerations, node affinity and node selector reach the pods', () => {
    const tolerations = [{ key: 'cloud.google.com/gke-spot', operator: TolerationOperator.EQUAL, value: 'true', effect: TaintEffect.NO_SCHEDULE }];
    const nodeAffinity = { required: [[{ key: 'cloud.google.com/gke-spot', operator: NodeSelectorOperator.IN, values: ['true'] }]] };
    const { pod } = build({ tolerations, nodeAffinity, nodeSelector: { pool: 'db' }, terminationGraceSeconds: 30 });
    expect(pod.tolerations).toEqual([{ key: 'cloud.google.com/gke-spot', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
    expect(pod.affinity.nodeAffinity).toEqual({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cloud.google.com/gke-spot', operator: 'In', values: ['true'] }] }] } });
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(pod.nodeSelector).toEqual({ pool: 'db' });
  });

  test('resources: documented defaults, overridable field by field', () => {
    expect(build().mongod.resources).toEqual({ requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '1Gi' } });
    expect(build({ resources: { limits: { memory: '4Gi' } }, wiredTigerCacheSizeGb: 1.5 }).mongod.resources).toEqual({ requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '4Gi' } });
    expect(build({ wiredTigerCacheSizeGb: 1.5 }).mongod.args).toContain('1.5');
    expect(build().pod.initContainers[0].resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } });
  });

  test('Pod Security restricted: uid 999, non-root, RuntimeDefault seccomp, drop ALL, no privilege escalation, init container too', () => {
    const { pod } = build();
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
    }
    expect(pod.volumes.some((v: any) => v.hostPath)).toBe(false);
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('mongod gets writable /tmp (its socket, mongosh\'s HOME) and the mongosh config', () => {
    const { pod, mongod } = build();
    expect(mongod.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
    expect(mongod.env).toContainEqual({ name: 'HOME', value: '/tmp' });
    expect(mongod.volumeMounts).toContainEqual({ name: 'scripts', mountPath: '/etc/mongosh.conf', subPath: 'mongosh.conf', readOnly: true });
  });

  test('the init step gets its pod name and the admin password from the Secret', () => {
    const { mongod } = build();
    expect(mongod.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(mongod.env).toContainEqual({ name: 'MONGO_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: 'mongo-auth', key: 'admin-password' } } });
  });

  test('the scripts ConfigMap carries the entrypoint, the init step with every member and the set name', () => {
    const { one, pod, mongod } = build();
    const cm = one('ConfigMap');
    expect(cm.metadata.name).toBe('mongo-scripts');
    expect(Object.keys(cm.data).sort()).toEqual(['init-replica-set.js', 'member.sh', 'mongosh.conf']);
    expect(pod.volumes).toContainEqual({ name: 'scripts', configMap: { name: 'mongo-scripts', defaultMode: 0o444 } });
    const js: string = cm.data['init-replica-set.js'];
    for (let i = 0; i < 3; i++) expect(js).toContain(`"mongo-${i}.mongo.shippy.svc.cluster.local:27017"`);
    expect(js).toContain('"setName":"rs0"');
    expect(js).toContain('"adminUser":"admin"');
    expect(js).not.toMatch(/\t| \n/);
    expect(cm.data['member.sh']).toContain('mongosh --nodb --quiet --norc --file /etc/mongo-scripts/init-replica-set.js &');
    // The programs are the files in constructs/scripts/, byte for byte; the entrypoint runs the
    // init step from where the ConfigMap is mounted.
    expect(cm.data['member.sh']).toBe(MONGO_MEMBER_SCRIPT);
    expect(MONGO_MEMBER_SCRIPT).toBe(fs.readFileSync(ENTRYPOINT_FILE, 'utf8'));
    expect(js.endsWith(fs.readFileSync(path.join(__dirname, 'scripts', 'mongo-init.js'), 'utf8'))).toBe(true);
    expect(MONGO_INIT_SCRIPT_PATH).toBe(`${mongod.volumeMounts.find((m: any) => m.name === 'scripts' && !m.subPath).mountPath}/init-replica-set.js`);
    expect(mongod.command).toEqual(['/bin/sh', '/etc/mongo-scripts/member.sh']);
  });

  test('the pod template carries the config hash of the scripts: changing the init step rolls the members, other changes do not', () => {
    const hash = (props: MongoReplicaSetProps) => build(props).sts.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    const base = hash({});
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(hash({})).toBe(base);
    expect(hash({ replicas: 5 })).not.toBe(base); // the init step lists 5 members
    expect(hash({ adminUsername: 'root' })).not.toBe(base);
    expect(hash({ storageSize: '20Gi' })).toBe(base);
    expect(hash({ resources: { requests: { cpu: '1' } } })).toBe(base);
  });

  test('NetworkPolicy: members reach each other on 27017, named clients are added, nobody else', () => {
    const chart = chartIn();
    const mongo = new MongoReplicaSet(chart, 'mongo', { allowFrom: [{ 'app.kubernetes.io/name': 'vessel' }] });
    mongo.allowFrom({ 'app.kubernetes.io/name': 'email' });
    mongo.allowFrom({ app: 'reports' }, 'analytics');
    const np = Testing.synth(chart).find((o) => o.kind === 'NetworkPolicy');
    const selector = { 'app.kubernetes.io/name': 'mongodb', 'app.kubernetes.io/instance': 'mongo' };
    expect(np.metadata.name).toBe('mongo');
    expect(np.spec.podSelector).toEqual({ matchLabels: selector });
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    const port = [{ protocol: 'TCP', port: 27017 }];
    expect(np.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: selector } }], ports: port },
      {
        from: [
          { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vessel' } } },
          { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'email' } } },
          { podSelector: { matchLabels: { app: 'reports' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'analytics' } } },
        ],
        ports: port,
      },
    ]);
  });

  test('without clients only the members get in', () => {
    const np = build().one('NetworkPolicy');
    expect(np.spec.ingress).toHaveLength(1);
    expect(np.spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mongodb', 'app.kubernetes.io/instance': 'mongo' } } }]);
  });

  test('clientEnv: the connection string with credentials expanded from the entries before it', () => {
    const { mongo } = build();
    expect(mongo.clientEnv('DB_HOST')).toEqual([
      { name: 'MONGODB_USERNAME', value: 'admin' },
      { name: 'MONGODB_PASSWORD', valueFrom: { secretKeyRef: { name: 'mongo-auth', key: 'admin-password' } } },
      { name: 'DB_HOST', value: `mongodb://$(MONGODB_USERNAME):$(MONGODB_PASSWORD)@${mongo.hosts.join(',')}/?replicaSet=rs0&authSource=admin` },
    ]);
    expect(errorOf(() => mongo.clientEnv('DB HOST'))).toBe('test/mongo: clientEnv variable "DB HOST" is not a valid environment variable name');
  });

  test('users: each client gets its own user with readWrite on its database; passwords come from Secrets into the init step', () => {
    const { mongo, mongod, one } = build({ users: [{ name: 'vessel' }, { name: 'email', database: 'mail', passwordSecretName: 'mail-creds', passwordSecretKey: 'pw' }] });
    expect(mongo.users).toEqual([
      { name: 'vessel', database: 'vessel', passwordSecretName: 'mongo-vessel-auth', passwordSecretKey: 'password' },
      { name: 'email', database: 'mail', passwordSecretName: 'mail-creds', passwordSecretKey: 'pw' },
    ]);
    const env = Object.fromEntries(mongod.env.map((e: any) => [e.name, e.valueFrom ?? e.value]));
    expect(env.MONGO_USER_PASSWORD_0).toEqual({ secretKeyRef: { name: 'mongo-vessel-auth', key: 'password' } });
    expect(env.MONGO_USER_PASSWORD_1).toEqual({ secretKeyRef: { name: 'mail-creds', key: 'pw' } });
    const script: string = one('ConfigMap').data['init-replica-set.js'];
    const config = JSON.parse(/^var MEGA8S_CONFIG = (.*);$/m.exec(script)![1]);
    expect(config.users).toEqual([
      { user: 'vessel', db: 'vessel', passwordVar: 'MONGO_USER_PASSWORD_0' },
      { user: 'email', db: 'mail', passwordVar: 'MONGO_USER_PASSWORD_1' },
    ]);
    expect(config.setOptions).toBe('?replicaSet=rs0&authSource=admin&serverSelectionTimeoutMS=5000');
    // No password is ever written into the YAML.
    expect(JSON.stringify(one('ConfigMap'))).not.toMatch(/pwd":"|s3cret/);
    expect(mongo.clientEnv('DB_HOST', 'email')).toEqual([
      { name: 'MONGODB_USERNAME', value: 'email' },
      { name: 'MONGODB_PASSWORD', valueFrom: { secretKeyRef: { name: 'mail-creds', key: 'pw' } } },
      { name: 'DB_HOST', value: `mongodb://$(MONGODB_USERNAME):$(MONGODB_PASSWORD)@${mongo.hosts.join(',')}/mail?replicaSet=rs0&authSource=mail` },
    ]);
    expect(errorOf(() => mongo.clientEnv('DB_HOST', 'nobody'))).toBe('test/mongo: clientEnv user "nobody" is not one of the users: expected one of ["vessel","email"]');
  });

  test('without users the init config and the env are what they were', () => {
    const { mongod, one } = build();
    expect(mongod.env.map((e: any) => e.name)).toEqual(['POD_NAME', 'HOME', 'MONGO_ADMIN_PASSWORD']);
    expect(one('ConfigMap').data['init-replica-set.js']).not.toContain('"users"');
  });

  test.each([
    [{ users: 'vessel' }, 'test/mongo: users "vessel" is not a list'],
    [{ users: [null] }, 'test/mongo: users entry null is not an object'],
    [{ users: [{ name: 'a b' }] }, 'test/mongo: users name "a b" is not a valid user name'],
    [{ users: [{ name: 'admin' }] }, 'test/mongo: users name "admin" is the admin user'],
    [{ users: [{ name: 'x', database: 'admin' }] }, 'test/mongo: users x database "admin" is not a client database name'],
    [{ users: [{ name: 'x', database: 'a.b' }] }, 'test/mongo: users x database "a.b" is not a client database name'],
    [{ users: [{ name: 'Big' }] }, 'test/mongo: users.passwordSecretName "mongo-Big-auth" is not a valid DNS-1123 subdomain'],
    [{ users: [{ name: 'x', passwordSecretKey: 'a/b' }] }, 'test/mongo: users x passwordSecretKey "a/b" is not a valid Secret key'],
    [{ users: [{ name: 'x' }, { name: 'x' }] }, 'test/mongo: users lists "x" twice'],
    [{ users: [{ name: 'x' }, { name: 'y', database: 'x' }] }, 'test/mongo: users y and x share database "x": expected one user per client database'],
    [{ users: [{ name: 'x' }], env: [{ name: 'MONGO_USER_PASSWORD_0', value: 'p' }] }, 'test/mongo: env "MONGO_USER_PASSWORD_0" is set by the construct itself'],
  ])('bad users %j', (props, message) => {
    expect(errorOf(() => build(props as any))).toContain(message);
  });

  test('every object carries the recommended labels; selectors use name and instance only', () => {
    const { objects, sts } = build({ partOf: 'shippy', labels: { team: 'data' } });
    for (const o of objects.filter((x) => x.kind !== 'StorageClass')) {
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'mongodb', 'app.kubernetes.io/instance': 'mongo', 'app.kubernetes.io/component': 'database',
        'app.kubernetes.io/part-of': 'shippy', 'app.kubernetes.io/version': '7.0.15', 'app.kubernetes.io/managed-by': 'mega8s', team: 'data',
      });
    }
    expect(sts.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'mongodb', 'app.kubernetes.io/instance': 'mongo' } });
  });

  test('escape hatches and contract ids', () => {
    const { mongo } = build({ storageClassName: 'fast', createStorageClass: true });
    expect(mongo.statefulSet.node.id).toBe('StatefulSet');
    expect(mongo.service.node.id).toBe('Service');
    expect(mongo.scripts.node.id).toBe('Scripts');
    expect(mongo.podDisruptionBudget.node.id).toBe('Pdb');
    expect(mongo.networkPolicy.node.id).toBe('NetworkPolicy');
    expect(mongo.storageClass!.node.id).toBe('StorageClass');
  });

  test('deterministic: two builds give the same YAML', () => {
    const yaml = () => toYamlDocuments(build({ storageClassName: 'fast', createStorageClass: true, allowFrom: [{ app: 'x' }] }).objects);
    expect(yaml()).toBe(yaml());
  });

  test('snapshot', () => {
    expect(toYamlDocuments(build({ storageClassName: 'fast', createStorageClass: true, allowFrom: [{ 'app.kubernetes.io/name': 'vessel' }] }).objects)).toMatchSnapshot();
  });
});

describe('MongoReplicaSet props validation', () => {
  const cases: [string, MongoReplicaSetProps, string][] = [
    ['0 members', { replicas: 0 }, 'test/mongo: replicas 0 is out of range: expected in range 1-7'],
    ['8 members', { replicas: 8 }, 'test/mongo: replicas 8 is out of range: expected in range 1-7'],
    ['fractional members', { replicas: 2.5 }, 'test/mongo: replicas 2.5 is not an integer: expected an integer in range 1-7'],
    ['a replica set name with a space', { replicaSetName: 'rs 0' }, 'test/mongo: replicaSetName "rs 0" is not a valid replica set name (letters, digits, \'_\' and \'-\', starting with a letter or \'_\', at most 64 characters)'],
    ['a replica set name with a slash', { replicaSetName: 'rs/0' }, 'test/mongo: replicaSetName "rs/0" is not a valid replica set name (letters, digits, \'_\' and \'-\', starting with a letter or \'_\', at most 64 characters)'],
    ['an empty replica set name', { replicaSetName: '' }, 'test/mongo: replicaSetName "" is not a valid replica set name (letters, digits, \'_\' and \'-\', starting with a letter or \'_\', at most 64 characters)'],
    ['a storage size that is not a quantity', { storageSize: '10 gigs' }, 'test/mongo: storageSize "10 gigs" is not a kubernetes quantity (for example 10Gi, 500Mi, 250m)'],
    ['createStorageClass without a name', { createStorageClass: true }, 'test/mongo: createStorageClass is true but storageClassName is not set: expected the name of the StorageClass to create'],
    ['a short grace period', { terminationGraceSeconds: 9 }, 'test/mongo: terminationGraceSeconds 9 is too short: a primary steps down on SIGTERM and mongod then flushes and stops; expected at least 10'],
    ['a step-down wait that does not fit the grace period', { terminationGraceSeconds: 15, shutdownTimeoutSeconds: 11 }, 'test/mongo: shutdownTimeoutSeconds 11 does not fit terminationGraceSeconds 15: mongod needs 5 s after it to flush and exit; expected at most 10'],
    ['a zero step-down wait', { shutdownTimeoutSeconds: 0 }, 'test/mongo: shutdownTimeoutSeconds 0 is out of range: expected at least 1'],
    ['a bad name', { name: 'Mongo' }, 'test/mongo: name "Mongo" is not a valid DNS-1123 label (lowercase letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters)'],
    ['a name too long for pod labels', { name: 'm'.repeat(53) }, `test/mongo: name "${'m'.repeat(53)}" is longer than 52 characters: the controller-revision-hash label of its pods would not fit in 63`],
    ['a user name that needs escaping', { adminUsername: 'ad@min' }, 'test/mongo: adminUsername "ad@min" is not a valid user name (letters, digits, \'.\', \'_\' and \'-\', at most 64 characters)'],
    ['a tiny cache', { wiredTigerCacheSizeGb: 0.1 }, 'test/mongo: wiredTigerCacheSizeGb 0.1 is out of range: expected 0.25-10000'],
    ['an image with spaces', { image: 'mongo 7' }, 'test/mongo: image "mongo 7" contains white space or non-ASCII characters: expected an image reference such as gcr.io/project/app:1.0'],
    ['an unknown anti-affinity', { antiAffinity: 'sometimes' as AntiAffinity }, 'test/mongo: antiAffinity "sometimes" is not one of required, preferred'],
  ];
  test.each(cases)('%s', (_what, props, message) => {
    expect(errorOf(() => new MongoReplicaSet(chartIn(), 'mongo', props))).toBe(message);
  });

  test('an even member count is allowed', () => {
    expect(build({ replicas: 4 }).sts.spec.replicas).toBe(4);
    expect(build({ replicas: 1 }).sts.spec.replicas).toBe(1);
  });

  test('a chart without a namespace is an error (member DNS names need one)', () => {
    expect(errorOf(() => new MongoReplicaSet(new Chart(new App(), 'test'), 'mongo'))).toBe('test/mongo: the chart has no namespace: the members\' DNS names need one (new Chart(scope, id, { namespace }))');
  });

  test('allowFrom with an empty selector would admit every pod', () => {
    const mongo = new MongoReplicaSet(chartIn(), 'mongo');
    expect(errorOf(() => mongo.allowFrom({}))).toBe('test/mongo: allowFrom {} is an empty pod selector: it would admit every pod; expected the labels of the client pods');
    expect(errorOf(() => mongo.allowFrom({ app: 'x' }, 'Bad_NS'))).toMatch(/^test\/mongo: allowFrom.namespace "Bad_NS" is not a valid DNS-1123 label/);
  });

  test('the defaults are the documented ones', () => {
    expect(MONGO_REPLICA_SET_DEFAULTS).toMatchObject({ image: 'mongo:7.0.15', replicas: 3, replicaSetName: 'rs0', storageSize: '10Gi', terminationGraceSeconds: 30 });
  });
});

// ---------------------------------------------------------------------------------------------
// The init step, run for real under node against a fake replica set.

const HOSTS = [0, 1, 2].map((i) => `mongo-${i}.mongo.shippy.svc.cluster.local:27017`);
const CONFIG: MongoInitConfig = {
  setName: 'rs0',
  hosts: HOSTS,
  localUri: 'mongodb://127.0.0.1:27017/?directConnection=true&serverSelectionTimeoutMS=2000',
  peerOptions: '?directConnection=true&serverSelectionTimeoutMS=2000&connectTimeoutMS=2000',
  adminUser: 'admin',
  passwordVar: 'MONGO_ADMIN_PASSWORD',
  intervalMs: 5000,
  timeoutMs: 600_000,
};

interface FakeMember {
  host: string;
  up: boolean;
  /** The replica set config this member holds (undefined: not initiated). */
  set?: { name: string; hosts: string[] };
  primary: boolean;
  users: string[];
}

interface Call { from: number; to: string; cmd: any; db?: string; user?: string }

/** A replica set as the init step sees it: replSetGetStatus, hello, replSetInitiate, createUser. */
class FakeReplicaSet {
  public readonly members: FakeMember[];
  public readonly calls: Call[] = [];
  public now = 1_000_000;
  /** Passwords and roles of the users, by `user` (admin database) or `db.user`. */
  public readonly accounts: Record<string, { pwd: string; roles: any }> = { admin: { pwd: 's3cret', roles: [{ role: 'root', db: 'admin' }] } };
  /** Called on every sleep with the number of sleeps so far: scenario events. */
  public onSleep: (n: number, rs: FakeReplicaSet) => void = () => undefined;
  private sleeps = 0;

  constructor(hosts: string[], public readonly throwErrors = true) {
    this.members = hosts.map((host) => ({ host, up: true, primary: false, users: [] }));
  }

  public sleep(ms: number): void {
    this.now += ms;
    this.sleeps++;
    this.onSleep(this.sleeps, this);
  }

  public initiated(primary: number, users: string[] = []): this {
    for (const m of this.members) {
      m.set = { name: 'rs0', hosts: this.members.map((x) => x.host) };
      m.users = [...users];
      m.primary = false;
    }
    if (primary >= 0) this.members[primary].primary = true;
    return this;
  }

  public commands(name: string): Call[] {
    return this.calls.filter((c) => Object.keys(c.cmd)[0] === name);
  }

  private fail(code: number | undefined, codeName: string | undefined, errmsg: string): any {
    if (this.throwErrors) throw Object.assign(new Error(errmsg), { code, codeName });
    return { ok: 0, code, codeName, errmsg };
  }

  /** A command from the init step running in member `self`, sent to `uri`. */
  public command(self: number, uri: string, cmd: any, db = 'admin'): any {
    const [, user, pwd, host] = /^mongodb:\/\/(?:([^:@]+):([^@]*)@)?([^/]+)\//.exec(uri)!;
    const local = host === '127.0.0.1:27017';
    // A replica set connection (every member listed) reaches the primary.
    const toSet = host.includes(',');
    const target = local ? this.members[self] : toSet ? this.members.find((m) => m.primary && m.up) : this.members.find((m) => m.host === host);
    this.calls.push({ from: self, to: local ? 'local' : toSet ? 'set' : host, cmd: JSON.parse(JSON.stringify(cmd)), ...(db !== 'admin' ? { db } : {}), ...(user ? { user: decodeURIComponent(user) } : {}) } as Call);
    if (!target || !target.up) {
      if (this.throwErrors) throw Object.assign(new Error(`Server selection timed out after 2000 ms (${host})`), { name: 'MongoServerSelectionError' });
      return { ok: 0, errmsg: 'connection refused' };
    }
    const name = Object.keys(cmd)[0];
    // Unauthenticated: the localhost exception holds on a loopback connection while no user exists.
    const authorized = (local && target.users.length === 0)
      || (user !== undefined && target.users.includes(decodeURIComponent(user)) && this.accounts[decodeURIComponent(user)]?.pwd === decodeURIComponent(pwd));
    switch (name) {
      case 'hello':
        return { ok: 1, isWritablePrimary: target.primary, secondary: !!target.set && !target.primary, ...(target.set ? { setName: target.set.name, hosts: target.set.hosts } : { isreplicaset: true }) };
      case 'replSetGetStatus':
        if (!authorized) return this.fail(13, 'Unauthorized', 'command replSetGetStatus requires authentication');
        if (!target.set) return this.fail(94, 'NotYetInitialized', 'no replset config has been received');
        return { ok: 1, set: target.set.name, members: target.set.hosts.map((h) => ({ name: h })) };
      case 'replSetInitiate': {
        if (!authorized) return this.fail(13, 'Unauthorized', 'command replSetInitiate requires authentication');
        if (target.set) return this.fail(23, 'AlreadyInitialized', 'already initialized');
        const hosts: string[] = cmd.replSetInitiate.members.map((m: any) => m.host);
        if (!hosts.includes(target.host)) return this.fail(93, 'InvalidReplicaSetConfig', 'No host described in new configuration for replica set maps to this node');
        for (const h of hosts) {
          const m = this.members.find((x) => x.host === h);
          if (!m || !m.up) return this.fail(74, 'NodeNotFound', `replSetInitiate quorum check failed because not all proposed set members responded affirmatively: ${h} failed`);
          if (m.set) return this.fail(74, 'NodeNotFound', `'${h}' has data already, cannot initiate set`);
        }
        for (const h of hosts) this.members.find((x) => x.host === h)!.set = { name: cmd.replSetInitiate._id, hosts };
        target.primary = true; // the initiating member wins the first election
        return { ok: 1 };
      }
      case 'createUser': {
        if (!authorized) return this.fail(13, 'Unauthorized', 'command createUser requires authentication');
        if (!target.primary) return this.fail(10107, 'NotWritablePrimary', 'not primary');
        const key = db === 'admin' ? cmd.createUser : `${db}.${cmd.createUser}`;
        if (target.users.includes(key)) return this.fail(51003, 'Location51003', `User "${cmd.createUser}@${db}" already exists`);
        // Replicates to every member of the set.
        for (const m of this.members) if (m.set && m.set.name === target.set!.name) m.users.push(key);
        this.accounts[key] = { pwd: cmd.pwd, roles: cmd.roles };
        return { ok: 1 };
      }
      case 'updateUser': {
        if (!authorized) return this.fail(13, 'Unauthorized', 'command updateUser requires authentication');
        if (!target.primary) return this.fail(10107, 'NotWritablePrimary', 'not primary');
        const key = db === 'admin' ? cmd.updateUser : `${db}.${cmd.updateUser}`;
        if (!target.users.includes(key)) return this.fail(11, 'UserNotFound', `User "${cmd.updateUser}@${db}" not found`);
        this.accounts[key] = { pwd: cmd.pwd, roles: cmd.roles };
        return { ok: 1 };
      }
      default:
        return this.fail(59, 'CommandNotFound', `no such command: '${name}'`);
    }
  }
}

/** Runs the rendered script as mongosh would (no MEGA8S_EXPORTS), in member `self` of `rs`. */
function runMember(rs: FakeReplicaSet, self: number, env: Record<string, string | undefined> = {}, config: MongoInitConfig = CONFIG) {
  const logs: string[] = [];
  const quits: number[] = [];
  const context = {
    Mongo: class {
      constructor(private readonly uri: string) {}
      getDB(db: string) {
        return { runCommand: (cmd: any) => rs.command(self, this.uri, cmd, db) };
      }
      close() { /* nothing to close */ }
    },
    sleep: (ms: number) => rs.sleep(ms),
    print: (msg: string) => logs.push(msg),
    quit: (code: number) => quits.push(code),
    process: { env: { POD_NAME: `mongo-${self}`, MONGO_ADMIN_PASSWORD: 's3cret', ...env } },
    Date: { now: () => rs.now },
  };
  vm.runInNewContext(mongoInitScript(config), context, { filename: 'init-replica-set.js' });
  expect(quits).toHaveLength(1);
  return { code: quits[0], logs };
}

/** The script's functions, as node sees them. */
function scriptFunctions(): any {
  const exports: any = {};
  vm.runInNewContext(mongoInitScript(CONFIG), { MEGA8S_EXPORTS: exports }, { filename: 'init-replica-set.js' });
  return exports;
}

describe('the init step decision (pure)', () => {
  const { decide, classifyStatus, ordinalOf, initiateConfig } = scriptFunctions();
  const up = (host: string, setName?: string) => ({ host, up: true, setName });

  test('rs.status() answers: never initiate', () => {
    expect(decide({ ordinal: 0, status: 'initiated', isWritablePrimary: false, peers: [] }).action).toBe('wait');
    expect(decide({ ordinal: 0, status: 'initiated', isWritablePrimary: true, peers: [] }).action).toBe('create-admin');
    expect(decide({ ordinal: 0, status: 'secured', peers: [] }).action).toBe('done');
  });

  test('not initiated: only member 0, only when every peer answers and none is in a set', () => {
    expect(decide({ ordinal: 0, status: 'not-initiated', peers: [up(HOSTS[1]), up(HOSTS[2])] }))
      .toEqual({ action: 'initiate', reason: 'no member belongs to a set and all answer: initiating' });
    expect(decide({ ordinal: 1, status: 'not-initiated', peers: [] }).action).toBe('wait');
    expect(decide({ ordinal: 0, status: 'not-initiated', peers: [up(HOSTS[1]), { host: HOSTS[2], up: false }] }))
      .toEqual({ action: 'wait', reason: `waiting for ${HOSTS[2]} to answer before initiating` });
    // A peer already in a set wins over a peer that is down: the set exists.
    expect(decide({ ordinal: 0, status: 'not-initiated', peers: [{ host: HOSTS[1], up: false }, up(HOSTS[2], 'rs0')] }))
      .toEqual({ action: 'wait', reason: `${HOSTS[2]} already belongs to replica set rs0: never initiating again; the set takes this member back` });
  });

  test('mongod down or failing: wait', () => {
    expect(decide({ ordinal: 0, status: 'unreachable', peers: [] }).action).toBe('wait');
    expect(decide({ ordinal: 0, status: 'error', detail: 'boom', peers: [] })).toEqual({ action: 'wait', reason: 'rs.status() failed: boom' });
  });

  test('rs.status() replies are classified by code', () => {
    expect(classifyStatus({ ok: 1 })).toBe('initiated');
    expect(classifyStatus({ ok: 0, code: 94 })).toBe('not-initiated');
    expect(classifyStatus({ ok: 0, code: 13 })).toBe('secured');
    expect(classifyStatus({ ok: 0 })).toBe('unreachable');
    expect(classifyStatus({ ok: 0, code: 93 })).toBe('error');
  });

  test('ordinals and the rs.initiate document', () => {
    expect(ordinalOf('mongo-0')).toBe(0);
    expect(ordinalOf('my-mongo-12')).toBe(12);
    expect(ordinalOf('mongo')).toBe(-1);
    expect(ordinalOf(undefined)).toBe(-1);
    expect(JSON.parse(JSON.stringify(initiateConfig(CONFIG)))).toEqual({ _id: 'rs0', members: HOSTS.map((host, i) => ({ _id: i, host })) });
  });

  test('the script body has no shell API outside its last block', () => {
    const main = MONGO_INIT_SCRIPT_BODY.indexOf('// mongosh: the shell API lives only here.');
    expect(main).toBeGreaterThan(0);
    expect(MONGO_INIT_SCRIPT_BODY.slice(0, main)).not.toMatch(/new Mongo|[^.\w]sleep\(|\bprint\(|\bquit\(|\bdb\.\w+\(/);
  });
});

describe.each([true, false])('the init step against a fake replica set (errors thrown: %s)', (throwErrors) => {
  const USERS_CONFIG: MongoInitConfig = {
    ...CONFIG,
    users: [{ user: 'vessel', db: 'vessel', passwordVar: 'MONGO_USER_PASSWORD_0' }, { user: 'email', db: 'mail', passwordVar: 'MONGO_USER_PASSWORD_1' }],
    setOptions: '?replicaSet=rs0&authSource=admin&serverSelectionTimeoutMS=5000',
  };
  const USER_ENV = { MONGO_USER_PASSWORD_0: 'v-pw', MONGO_USER_PASSWORD_1: 'e-pw' };

  test('client users: a fresh set gets its admin, then one user per client database with readWrite on it, through the primary as admin', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors);
    const { code, logs } = runMember(rs, 0, USER_ENV, USERS_CONFIG);
    expect(code).toBe(0);
    const users = rs.commands('createUser');
    expect(users.map((c) => [c.to, c.db ?? 'admin', c.user ?? '-', c.cmd.createUser])).toEqual([
      ['local', 'admin', '-', 'admin'], ['set', 'vessel', 'admin', 'vessel'], ['set', 'mail', 'admin', 'email'],
    ]);
    expect(users[1].cmd).toEqual({ createUser: 'vessel', pwd: 'v-pw', roles: [{ role: 'readWrite', db: 'vessel' }] });
    expect(rs.accounts['mail.email']).toEqual({ pwd: 'e-pw', roles: [{ role: 'readWrite', db: 'mail' }] });
    expect(rs.members.every((m) => m.users.includes('vessel.vessel') && m.users.includes('mail.email'))).toBe(true);
    expect(logs).toContain('[mega8s-init] created the user vessel with readWrite on vessel');
    expect(logs[logs.length - 1]).toBe('[mega8s-init] client users ready: vessel@vessel, email@mail');
  });

  test('client users: a secured set brings existing users back to their password and role (a rotated Secret), from any member', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(2, ['admin', 'vessel.vessel']);
    rs.accounts['vessel.vessel'] = { pwd: 'old', roles: [{ role: 'dbOwner', db: 'vessel' }] };
    const { code } = runMember(rs, 1, USER_ENV, USERS_CONFIG);
    expect(code).toBe(0);
    expect(rs.commands('replSetInitiate')).toHaveLength(0);
    expect(rs.commands('updateUser').map((c) => c.cmd)).toEqual([{ updateUser: 'vessel', pwd: 'v-pw', roles: [{ role: 'readWrite', db: 'vessel' }] }]);
    expect(rs.accounts['vessel.vessel'].pwd).toBe('v-pw');
    expect(rs.accounts['mail.email'].pwd).toBe('e-pw');
    // Run again: nothing changes, nothing fails.
    expect(runMember(rs, 0, USER_ENV, USERS_CONFIG).code).toBe(0);
    expect(rs.accounts['vessel.vessel']).toEqual({ pwd: 'v-pw', roles: [{ role: 'readWrite', db: 'vessel' }] });
  });

  test('client users: no primary yet, the step waits and creates them once one is elected', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(-1, ['admin']);
    rs.onSleep = (n) => { if (n === 2) rs.members[0].primary = true; };
    const { code, logs } = runMember(rs, 2, USER_ENV, USERS_CONFIG);
    expect(code).toBe(0);
    expect(logs.some((l) => /users: createUser vessel on vessel failed .*; trying again/.test(l))).toBe(true);
    expect(rs.members[2].users).toEqual(['admin', 'vessel.vessel', 'mail.email']);
  });

  test('client users: a wrong admin password is retried, not fatal; a missing user password is fatal', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(0, ['admin']);
    rs.onSleep = (n) => { if (n === 1) rs.accounts.admin.pwd = 'other'; };
    const wrong = runMember(rs, 0, { ...USER_ENV, MONGO_ADMIN_PASSWORD: 'other' }, USERS_CONFIG);
    expect(wrong.code).toBe(0);
    expect(wrong.logs.some((l) => l.includes('createUser vessel on vessel failed (command createUser requires authentication); trying again'))).toBe(true);
    const missing = runMember(new FakeReplicaSet(HOSTS, throwErrors).initiated(0, ['admin']), 0, { MONGO_USER_PASSWORD_0: 'v-pw' }, USERS_CONFIG);
    expect(missing.code).toBe(1);
    expect(missing.logs[missing.logs.length - 1]).toBe('[mega8s-init] MONGO_USER_PASSWORD_1 is empty: cannot create the user email on mail');
  });

  test('a fresh set: member 0 initiates with every member\'s DNS name, then creates the admin user', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors);
    const { code, logs } = runMember(rs, 0);
    expect(code).toBe(0);
    const initiates = rs.commands('replSetInitiate');
    expect(initiates).toHaveLength(1);
    expect(initiates[0].cmd).toEqual({ replSetInitiate: { _id: 'rs0', members: HOSTS.map((host, i) => ({ _id: i, host })) } });
    expect(initiates[0].to).toBe('local');
    // Peers were asked with hello on their stable names before initiating.
    expect(rs.calls.filter((c) => c.to !== 'local').map((c) => [c.to, Object.keys(c.cmd)[0]])).toEqual([[HOSTS[1], 'hello'], [HOSTS[2], 'hello']]);
    const users = rs.commands('createUser');
    expect(users).toHaveLength(1);
    expect(users[0].cmd).toEqual({ createUser: 'admin', pwd: 's3cret', roles: [{ role: 'root', db: 'admin' }] });
    expect(rs.members.every((m) => m.set?.name === 'rs0' && m.users.includes('admin'))).toBe(true);
    expect(logs).toContain(`[mega8s-init] initiated rs0 with ${HOSTS.join(', ')}`);
    expect(logs).toContain('[mega8s-init] created the admin user admin');
  });

  test('re-running on an initiated, secured set does nothing', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(1, ['admin']);
    for (const member of [0, 1, 2]) {
      const { code, logs } = runMember(rs, member);
      expect(code).toBe(0);
      expect(logs).toEqual(['[mega8s-init] done: rs.status() requires authentication: the admin user exists, so the set was initiated; nothing to initiate']);
    }
    expect(rs.commands('replSetInitiate')).toHaveLength(0);
    expect(rs.commands('createUser')).toHaveLength(0);
    expect(rs.calls.map((c) => Object.keys(c.cmd)[0])).toEqual(['replSetGetStatus', 'replSetGetStatus', 'replSetGetStatus']);
  });

  test('initiated but no admin yet (a restart between the two steps): only the user is created, by the primary', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(2);
    // Member 0 is secondary: it waits until the primary (member 2) has created the user.
    rs.onSleep = (n) => { if (n === 3) runMember(rs, 2); };
    const { code } = runMember(rs, 0);
    expect(code).toBe(0);
    expect(rs.commands('replSetInitiate')).toHaveLength(0);
    expect(rs.commands('createUser').map((c) => c.from)).toEqual([2]);
  });

  test('peers not up yet: member 0 waits and initiates only once all answer', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors);
    rs.members[2].up = false;
    rs.onSleep = (n, fake) => { if (n === 4) fake.members[2].up = true; };
    const { code, logs } = runMember(rs, 0);
    expect(code).toBe(0);
    expect(rs.commands('replSetInitiate')).toHaveLength(1);
    expect(rs.commands('replSetInitiate')[0].cmd.replSetInitiate.members).toHaveLength(3);
    expect(logs[0]).toBe(`[mega8s-init] wait: waiting for ${HOSTS[2]} to answer before initiating`);
    // The waiting was logged once, not on every round.
    expect(logs.filter((l) => l.includes('waiting for'))).toHaveLength(1);
  });

  test('mongod not answering yet: the step waits for it', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors);
    rs.members[0].up = false;
    rs.onSleep = (n, fake) => { if (n === 2) fake.members[0].up = true; };
    const { code, logs } = runMember(rs, 0);
    expect(code).toBe(0);
    expect(logs[0]).toBe('[mega8s-init] wait: mongod does not answer yet');
    expect(rs.commands('replSetInitiate')).toHaveLength(1);
  });

  test('member 0 lost its disk while the set lives on: it never initiates a second set', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(1, ['admin']);
    rs.members[0].set = undefined;
    rs.members[0].users = [];
    // The set's heartbeats reach the empty member 0, which then syncs (config and users).
    rs.onSleep = (n, fake) => {
      if (n === 5) {
        fake.members[0].set = { ...fake.members[1].set! };
        fake.members[0].users = ['admin'];
      }
    };
    const { code, logs } = runMember(rs, 0);
    expect(code).toBe(0);
    expect(rs.commands('replSetInitiate')).toHaveLength(0);
    expect(rs.commands('createUser')).toHaveLength(0);
    expect(logs[0]).toBe(`[mega8s-init] wait: ${HOSTS[1]} already belongs to replica set rs0: never initiating again; the set takes this member back`);
  });

  test('members other than 0 never initiate; they finish once the set is secured', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors);
    rs.onSleep = (n) => { if (n === 2) runMember(rs, 0); };
    const { code, logs } = runMember(rs, 1);
    expect(code).toBe(0);
    expect(rs.commands('replSetInitiate').map((c) => c.from)).toEqual([0]);
    expect(logs[0]).toMatch(/^\[mega8s-init\] wait: not initiated: member 0 initiates the set/);
  });

  test('scaling up: a new member is never initiated nor initiates; it gives up after the timeout, logged', () => {
    const hosts = [...HOSTS, 'mongo-3.mongo.shippy.svc.cluster.local:27017'];
    const rs = new FakeReplicaSet(hosts, throwErrors).initiated(0, ['admin']);
    rs.members[3].set = undefined;
    rs.members[3].users = [];
    const config = { ...CONFIG, hosts, timeoutMs: 60_000 };
    const { code, logs } = runMember(rs, 3, {}, config);
    expect(code).toBe(1);
    expect(rs.commands('replSetInitiate')).toHaveLength(0);
    expect(logs[logs.length - 1]).toMatch(/^\[mega8s-init\] giving up after 60 s: not initiated: member 0 initiates the set; a member the set does not list yet joins with rs\.add\(\) on the primary/);
    // And the existing members, restarted meanwhile, still do nothing.
    expect(runMember(rs, 0).code).toBe(0);
    expect(rs.commands('replSetInitiate')).toHaveLength(0);
  });

  test('a peer lost between the check and rs.initiate: the failure is logged and retried', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors);
    let dropped = false;
    const command = rs.command.bind(rs);
    rs.command = (self, uri, cmd) => {
      if (cmd.replSetInitiate && !dropped) {
        dropped = true;
        rs.members[1].up = false;
        try {
          return command(self, uri, cmd);
        } finally {
          rs.members[1].up = true;
        }
      }
      return command(self, uri, cmd);
    };
    const { code, logs } = runMember(rs, 0);
    expect(code).toBe(0);
    expect(rs.commands('replSetInitiate')).toHaveLength(2);
    expect(logs.some((l) => l.startsWith('[mega8s-init] rs.initiate failed (') && l.endsWith('; trying again'))).toBe(true);
  });

  test('another member created the admin user first: Unauthorized (the exception closed) counts as done', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(0);
    const command = rs.command.bind(rs);
    rs.command = (self, uri, cmd) => {
      // The user replicates in between the observation and createUser.
      if (cmd.createUser) for (const m of rs.members) m.users.push('admin');
      return command(self, uri, cmd);
    };
    const { code, logs } = runMember(rs, 0);
    expect(code).toBe(0);
    expect(logs).toContain('[mega8s-init] the admin user exists already');
    expect(rs.members[0].users).toEqual(['admin']);
  });

  test('UserAlreadyExists counts as done', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(0);
    const command = rs.command.bind(rs);
    rs.command = (self, uri, cmd) => {
      if (!cmd.createUser) return command(self, uri, cmd);
      if (throwErrors) throw Object.assign(new Error('User "admin@admin" already exists'), { code: 51003 });
      return { ok: 0, code: 51003, errmsg: 'User "admin@admin" already exists' };
    };
    const { code, logs } = runMember(rs, 0);
    expect(code).toBe(0);
    expect(logs).toContain('[mega8s-init] the admin user exists already');
  });

  test('createUser on a member that just stepped down: logged and retried once it is primary again', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(0);
    const command = rs.command.bind(rs);
    let first = true;
    rs.command = (self, uri, cmd) => {
      if (cmd.createUser && first) {
        first = false;
        rs.members[0].primary = false;
        try {
          return command(self, uri, cmd);
        } finally {
          rs.members[0].primary = true;
        }
      }
      return command(self, uri, cmd);
    };
    const { code, logs } = runMember(rs, 0);
    expect(code).toBe(0);
    expect(rs.commands('createUser')).toHaveLength(2);
    expect(logs.some((l) => l.startsWith('[mega8s-init] createUser failed ('))).toBe(true);
    expect(logs).toContain('[mega8s-init] created the admin user admin');
  });

  test('no password: the user cannot be created, exit 1', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors).initiated(0);
    const { code, logs } = runMember(rs, 0, { MONGO_ADMIN_PASSWORD: '' });
    expect(code).toBe(1);
    expect(logs).toContain('[mega8s-init] MONGO_ADMIN_PASSWORD is empty: cannot create the admin user');
    expect(rs.commands('createUser')).toHaveLength(0);
  });

  test('a pod name without an ordinal: exit 1', () => {
    const rs = new FakeReplicaSet(HOSTS, throwErrors);
    const { code, logs } = runMember(rs, 0, { POD_NAME: 'mongo' });
    expect(code).toBe(1);
    expect(logs).toEqual(['[mega8s-init] POD_NAME "mongo" does not end in an ordinal: not a StatefulSet member']);
    expect(rs.calls).toHaveLength(0);
  });
});

describe('the member entrypoint (member.sh)', () => {
  test('runs the container args, passes SIGTERM on to them and exits with their status; the init step runs next to them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-member-'));
    try {
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      // A fake mongosh that records its arguments and then idles like a waiting init step.
      fs.writeFileSync(path.join(bin, 'mongosh'), `#!/bin/sh\necho "$@" > ${dir}/mongosh.args\nexec sleep 30\n`, { mode: 0o755 });
      // A fake mongod: says it started, exits 42 on SIGTERM.
      fs.writeFileSync(path.join(dir, 'mongod'), `#!/bin/sh\ntrap 'echo stopping > ${dir}/mongod.term; exit 42' TERM\necho "$@" > ${dir}/mongod.args\nwhile :; do sleep 0.05; done\n`, { mode: 0o755 });
      const child = spawn('/bin/sh', [ENTRYPOINT_FILE, path.join(dir, 'mongod'), '--replSet', 'rs0'], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: 'ignore',
      });
      const waitFor = async (file: string) => {
        for (let i = 0; i < 200 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 25));
        expect(fs.existsSync(file)).toBe(true);
      };
      await waitFor(path.join(dir, 'mongod.args'));
      await waitFor(path.join(dir, 'mongosh.args'));
      expect(fs.readFileSync(path.join(dir, 'mongod.args'), 'utf8')).toBe('--replSet rs0\n');
      expect(fs.readFileSync(path.join(dir, 'mongosh.args'), 'utf8')).toBe('--nodb --quiet --norc --file /etc/mongo-scripts/init-replica-set.js\n');
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(42);
      expect(fs.readFileSync(path.join(dir, 'mongod.term'), 'utf8')).toBe('stopping\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
