import { App, Chart, Testing } from 'cdk8s';
import { toYamlDocuments } from '../lib/synth/yaml';
import { CONFIG_HASH_ANNOTATION } from './config-hash';
import { POSTGRES_DEFAULTS, POSTGRES_ROLES_SCRIPT, Postgres, PostgresProps, postgresRolesScript } from './postgres';
import { errorOf } from '../lib/testing';
import { NodeSelectorOperator, TaintEffect, TolerationOperator } from './workload';

function chartIn(namespace: string | undefined = 'shippy'): Chart {
  return new Chart(new App(), 'test', { namespace, disableResourceNameHashes: true });
}

function build(props: PostgresProps = {}) {
  const chart = chartIn();
  const pg = new Postgres(chart, 'postgres', props);
  const objects = Testing.synth(chart);
  const one = (kind: string) => {
    const found = objects.filter((o) => o.kind === kind);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const sts = one('StatefulSet');
  const pod = sts.spec.template.spec;
  return { chart, pg, objects, one, sts, pod, container: pod.containers[0] };
}


describe('Postgres', () => {
  test('one primary: a StatefulSet of 1 with the pinned postgres image and port 5432 named postgresql', () => {
    const { sts, pod, container } = build();
    expect(sts.metadata.name).toBe('postgres');
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.serviceName).toBe('postgres');
    expect(pod.containers).toHaveLength(1);
    expect(container.image).toBe('postgres:16.4-bookworm');
    expect(container.ports).toEqual([{ name: 'postgresql', containerPort: 5432, protocol: 'TCP' }]);
  });

  test('a headless Service on 5432', () => {
    const svc = build().one('Service');
    expect(svc.metadata.name).toBe('postgres');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.ports).toEqual([{ name: 'postgresql', protocol: 'TCP', port: 5432, targetPort: 'postgresql' }]);
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'postgres' });
  });

  test('a 10Gi claim on the named class; PGDATA in a subfolder of the volume', () => {
    const { sts, container } = build({ storageClassName: 'fast' });
    const claim = sts.spec.volumeClaimTemplates[0];
    expect(claim.metadata.name).toBe('data');
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '10Gi' } }, volumeMode: 'Filesystem' });
    // What the API server fills in, so that a re-apply reports "unchanged".
    expect(claim).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { creationTimestamp: null }, status: { phase: 'Pending' } });
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
    expect(container.env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
  });

  test('the password comes from a Secret referenced by name', () => {
    expect(build().container.env).toContainEqual({ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-auth', key: 'password' } } });
    const { container } = build({ passwordSecretName: 'users-db', passwordSecretKey: 'pw', username: 'shippy', database: 'users' });
    expect(container.env).toEqual([
      { name: 'POSTGRES_USER', value: 'shippy' },
      { name: 'POSTGRES_DB', value: 'users' },
      { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'users-db', key: 'pw' } } },
      { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
    ]);
  });

  test('pg_isready readiness, liveness and startup probes, without a shell', () => {
    const { container } = build({ username: 'shippy', database: 'users' });
    const isReady = ['pg_isready', '--host=127.0.0.1', '--port=5432', '--username=shippy', '--dbname=users', '--timeout=5'];
    expect(container.readinessProbe.exec.command).toEqual(isReady);
    expect(container.livenessProbe.exec.command).toEqual(isReady);
    expect(container.startupProbe.exec.command).toEqual(isReady);
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
  });

  test('a PodDisruptionBudget that lets a drain move the pod', () => {
    const { one, sts } = build();
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: sts.spec.selector });
  });

  test('Pod Security restricted as uid 999, read-only root with emptyDirs for the socket directory and /tmp', () => {
    const { pod, container } = build();
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'run', mountPath: '/var/run/postgresql' });
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes.map((v: any) => [v.name, Object.keys(v).filter((k) => k !== 'name')])).toEqual([['run', ['emptyDir']], ['tmp', ['emptyDir']]]);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('grace period, resources and scheduling', () => {
    const tolerations = [{ key: 'cloud.google.com/gke-spot', operator: TolerationOperator.EXISTS, effect: TaintEffect.NO_SCHEDULE }];
    const nodeAffinity = { required: [[{ key: 'pool', operator: NodeSelectorOperator.IN, values: ['db'] }]] };
    const { pod, container } = build({ tolerations, nodeAffinity, nodeSelector: { disk: 'ssd' }, resources: { requests: { cpu: '1' } }, terminationGraceSeconds: 90 });
    expect(pod.terminationGracePeriodSeconds).toBe(90);
    expect(pod.tolerations).toEqual([{ key: 'cloud.google.com/gke-spot', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.nodeSelector).toEqual({ disk: 'ssd' });
    expect(pod.affinity).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['db'] }] }] } } });
    expect(container.resources).toEqual({ requests: { cpu: '1', memory: '256Mi' }, limits: { memory: '512Mi' } });
    expect(build().pod.terminationGracePeriodSeconds).toBe(60);
  });

  test('connection details', () => {
    const { pg } = build({ database: 'users', username: 'shippy' });
    expect(pg.host).toBe('postgres.shippy.svc.cluster.local');
    expect(pg.port).toBe(5432);
    expect(pg.database).toBe('users');
    expect(pg.username).toBe('shippy');
    expect(pg.passwordSecretName).toBe('postgres-auth');
    expect(pg.clientEnv()).toEqual([
      { name: 'PGHOST', value: 'postgres.shippy.svc.cluster.local' },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGDATABASE', value: 'users' },
      { name: 'PGUSER', value: 'shippy' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-auth', key: 'password' } } },
    ]);
    expect(pg.clientEnv({ host: 'DB_HOST', password: 'DB_PASSWORD' }).map((e) => e.name)).toEqual(['DB_HOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'DB_PASSWORD']);
    expect(errorOf(() => pg.clientEnv({ host: 'DB-HOST' }))).toBe('test/postgres: clientEnv variable "DB-HOST" is not a valid environment variable name');
  });

  test('NetworkPolicy: nobody gets in until allowed, then only the named pods on 5432', () => {
    expect(build().one('NetworkPolicy').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'postgres' } },
      policyTypes: ['Ingress'],
      ingress: [],
    });
    const chart = chartIn();
    const pg = new Postgres(chart, 'postgres', { allowFrom: [{ 'app.kubernetes.io/name': 'user' }] });
    pg.allowFrom({ app: 'migrations' });
    const np = Testing.synth(chart).find((o) => o.kind === 'NetworkPolicy');
    expect(np.spec.ingress).toEqual([{
      from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'user' } } }, { podSelector: { matchLabels: { app: 'migrations' } } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    }]);
    expect(errorOf(() => pg.allowFrom({}))).toBe('test/postgres: allowFrom {} is an empty pod selector: it would admit every pod; expected the labels of the client pods');
  });

  test('the pod template carries the config hash of its env', () => {
    const hash = (props: PostgresProps) => build(props).sts.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    expect(hash({})).toMatch(/^[0-9a-f]{64}$/);
    expect(hash({})).toBe(hash({}));
    expect(hash({ database: 'users' })).not.toBe(hash({}));
    expect(hash({ storageSize: '20Gi' })).toBe(hash({}));
  });

  test('labels and contract ids', () => {
    const { objects, pg } = build({ partOf: 'shippy' });
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'postgres', 'app.kubernetes.io/part-of': 'shippy', 'app.kubernetes.io/managed-by': 'mega8s', 'app.kubernetes.io/version': '16.4-bookworm' });
    }
    expect([pg.statefulSet, pg.service, pg.podDisruptionBudget, pg.networkPolicy].map((o) => o.node.id)).toEqual(['StatefulSet', 'Service', 'Pdb', 'NetworkPolicy']);
  });

  test('snapshot', () => {
    expect(toYamlDocuments(build({ storageClassName: 'fast', database: 'users', allowFrom: [{ 'app.kubernetes.io/name': 'user' }] }).objects)).toMatchSnapshot();
  });
});

describe('Postgres props validation', () => {
  test.each([2, 3, 0])('replicas %p is an error that says why and what to use instead', (replicas) => {
    expect(errorOf(() => new Postgres(chartIn(), 'postgres', { replicas }))).toBe(
      `test/postgres: replicas ${replicas} is not supported: independent postgres pods are separate databases, not a cluster (nothing replicates between them and a client lands on any of them); run one primary (replicas 1), or use a postgres operator such as CloudNativePG for replicas and failover`,
    );
  });

  const cases: [string, PostgresProps, string][] = [
    ['a storage size that is not a quantity', { storageSize: 'ten' }, 'test/postgres: storageSize "ten" is not a kubernetes quantity (for example 10Gi, 500Mi, 250m)'],
    ['a database name that needs quoting', { database: 'my-db' }, 'test/postgres: database "my-db" is not a plain SQL identifier (lowercase letters, digits and \'_\', starting with a letter or \'_\', at most 63 characters)'],
    ['a user name that needs quoting', { username: 'Admin' }, 'test/postgres: username "Admin" is not a plain SQL identifier (lowercase letters, digits and \'_\', starting with a letter or \'_\', at most 63 characters)'],
    ['a bad Secret key', { passwordSecretKey: 'pass word' }, 'test/postgres: passwordSecretKey "pass word" is not a valid Secret key (letters, digits, \'-\', \'_\' and \'.\')'],
    ['a short grace period', { terminationGraceSeconds: 5 }, 'test/postgres: terminationGraceSeconds 5 is too short: postgres writes a shutdown checkpoint before it stops; expected at least 30'],
    ['a bad storage class name', { storageClassName: 'Fast SSD' }, 'test/postgres: storageClassName "Fast SSD" is not a valid DNS-1123 subdomain (lowercase letters, digits, \'-\' and \'.\', at most 253 characters)'],
  ];
  test.each(cases)('%s', (_what, props, message) => {
    expect(errorOf(() => new Postgres(chartIn(), 'postgres', props))).toBe(message);
  });

  test('a chart without a namespace is an error', () => {
    expect(errorOf(() => new Postgres(new Chart(new App(), 'test'), 'postgres'))).toBe('test/postgres: the chart has no namespace: the Service\'s DNS name needs one (new Chart(scope, id, { namespace }))');
  });

  test('roles: one per client database, created by a first-start script from Secrets; clientEnv connects as one', () => {
    const { pg, one, objects, pod, container } = build({ roles: [{ name: 'app', database: 'users' }, { name: 'audit', passwordSecretName: 'audit-creds', passwordSecretKey: 'pw' }] });
    expect(pg.roles).toEqual([
      { name: 'app', database: 'users', passwordSecretName: 'postgres-app-auth', passwordSecretKey: 'password' },
      { name: 'audit', database: 'audit', passwordSecretName: 'audit-creds', passwordSecretKey: 'pw' },
    ]);
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.valueFrom ?? e.value]));
    expect(env.MEGA8S_ROLE_PASSWORD_0).toEqual({ secretKeyRef: { name: 'postgres-app-auth', key: 'password' } });
    expect(env.MEGA8S_ROLE_PASSWORD_1).toEqual({ secretKeyRef: { name: 'audit-creds', key: 'pw' } });
    const cm = one('ConfigMap');
    expect(cm.metadata.name).toBe('postgres-initdb');
    expect(cm.data[POSTGRES_ROLES_SCRIPT]).toBe(postgresRolesScript([
      { name: 'app', database: 'users', passwordVar: 'MEGA8S_ROLE_PASSWORD_0' },
      { name: 'audit', database: 'audit', passwordVar: 'MEGA8S_ROLE_PASSWORD_1' },
    ]));
    expect(container.volumeMounts).toContainEqual({ name: 'initdb', mountPath: '/docker-entrypoint-initdb.d', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'initdb', configMap: { name: 'postgres-initdb', defaultMode: 0o444 } });
    expect(objects.map((o) => o.kind)).toContain('ConfigMap');
    expect(pg.clientEnv({}, 'app')).toEqual([
      { name: 'PGHOST', value: pg.host },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGDATABASE', value: 'users' },
      { name: 'PGUSER', value: 'app' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-app-auth', key: 'password' } } },
    ]);
    expect(errorOf(() => pg.clientEnv({}, 'nobody'))).toBe('test/postgres: clientEnv role "nobody" is not one of the roles: expected one of ["app","audit"]');
  });

  test('the roles script quotes names and values, and never holds a password', () => {
    const sql = postgresRolesScript([{ name: 'user', database: 'users', passwordVar: 'MEGA8S_ROLE_PASSWORD_0' }]);
    expect(sql).toContain("\\getenv role_password MEGA8S_ROLE_PASSWORD_0");
    expect(sql).toContain("SELECT format('CREATE ROLE %I', 'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'user') \\gexec");
    expect(sql).toContain("PASSWORD %L', 'user', :'role_password') \\gexec");
    expect(sql).toContain("REVOKE ALL ON DATABASE %I FROM PUBLIC', 'users')");
  });

  test('without roles there is no init script and the pod is what it was', () => {
    const { objects, container } = build();
    expect(objects.map((o) => o.kind)).not.toContain('ConfigMap');
    expect(container.env.map((e: any) => e.name)).toEqual(['POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD', 'PGDATA']);
  });

  test.each([
    [{ roles: 'app' }, 'test/postgres: roles "app" is not a list'],
    [{ roles: [7] }, 'test/postgres: roles entry 7 is not an object'],
    [{ roles: [{ name: 'App' }] }, 'test/postgres: roles name "App" is not a plain SQL identifier'],
    [{ roles: [{ name: 'pg_monitor' }] }, 'test/postgres: roles name "pg_monitor" is not a plain SQL identifier outside pg_*'],
    [{ roles: [{ name: 'postgres' }] }, 'test/postgres: roles name "postgres" is the superuser'],
    [{ roles: [{ name: 'a', database: 'template1' }] }, 'test/postgres: roles a database "template1" is not a client database name'],
    [{ roles: [{ name: 'a_b' }] }, 'test/postgres: roles.passwordSecretName "postgres-a_b-auth" is not a valid DNS-1123 subdomain'],
    [{ roles: [{ name: 'a', passwordSecretKey: '' }] }, 'test/postgres: roles a passwordSecretKey "" is not a valid Secret key'],
    [{ roles: [{ name: 'a' }, { name: 'a', database: 'b' }] }, 'test/postgres: roles lists "a" twice'],
    [{ roles: [{ name: 'a', database: 'd' }, { name: 'b', database: 'd' }] }, 'test/postgres: roles b and a share database "d"'],
    [{ roles: [{ name: 'a' }], env: [{ name: 'MEGA8S_ROLE_PASSWORD_0', value: 'x' }] }, 'test/postgres: env "MEGA8S_ROLE_PASSWORD_0" is set by the construct itself'],
  ])('bad roles %j', (props, message) => {
    expect(errorOf(() => build(props as any))).toContain(message);
  });

  test('the defaults are the documented ones', () => {
    expect(POSTGRES_DEFAULTS).toMatchObject({ image: 'postgres:16.4-bookworm', storageSize: '10Gi', database: 'postgres', username: 'postgres', terminationGraceSeconds: 60 });
  });
});
