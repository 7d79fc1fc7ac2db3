import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { firstExternalIpv4, identityFromEnv } from './identity';
import { HealthStatus, WhoReply__Output, healthClient, whoamiClient } from './proto';
import { WhoamiServer, startWhoamiServer } from './whoami-server';

const HOST = { hostname: () => 'build-host', ipv4: () => '192.0.2.7', version: () => '9.9.9' };

// A fresh connection each time: grpc-js would otherwise share one subchannel between clients.
const FRESH = { 'grpc.use_local_subchannel_pool': 1 };

function who(target: string, delayMs = 0, timeoutMs = 5000): Promise<WhoReply__Output> {
  const client = whoamiClient(target, FRESH);
  return new Promise<WhoReply__Output>((resolve, reject) => {
    client.Who({ delayMs }, { deadline: Date.now() + timeoutMs }, (err, reply) => (err ? reject(err) : resolve(reply!)));
  }).finally(() => client.close());
}

function check(target: string, service = ''): Promise<HealthStatus> {
  const client = healthClient(target, FRESH);
  return new Promise<HealthStatus>((resolve, reject) => {
    client.check({ service }, { deadline: Date.now() + 5000 }, (err, reply) => (err ? reject(err) : resolve(reply!.status)));
  }).finally(() => client.close());
}

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number };
}

/** One grpc.reflection.v1 request (what grpcurl sends) and its response. */
function reflect(target: string, request: Record<string, string>): Promise<ReflectionResponse> {
  const protoPath = path.join(path.dirname(require.resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { keepCase: true })) as any;
  const client = new pkg.grpc.reflection.v1.ServerReflection(target, grpc.credentials.createInsecure()) as grpc.Client & {
    ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, ReflectionResponse>;
  };
  return new Promise<ReflectionResponse>((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (msg) => {
      resolve(msg);
      stream.end();
    });
    stream.on('error', reject);
    stream.write(request);
  }).finally(() => client.close());
}

describe('identityFromEnv', () => {
  test('reads the downward-API variables', () => {
    expect(identityFromEnv({
      POD_NAME: 'service-007-6d4c9-x2x7q', POD_NAMESPACE: 'fourhundred', POD_IP: '10.8.2.17', NODE_NAME: 'gke-node-1', WHOAMI_VERSION: '1.4.0',
    }, HOST)).toEqual({
      hostname: 'build-host', podName: 'service-007-6d4c9-x2x7q', namespace: 'fourhundred', podIp: '10.8.2.17', nodeName: 'gke-node-1', version: '1.4.0',
    });
  });

  test('falls back off-cluster: host name, no namespace, the machine address, the package version', () => {
    expect(identityFromEnv({ POD_NAME: '  ', POD_IP: '' }, HOST)).toEqual({
      hostname: 'build-host', podName: 'build-host', namespace: '', podIp: '192.0.2.7', nodeName: 'build-host', version: '9.9.9',
    });
    expect(identityFromEnv({}).version).toBe(require('../../package.json').version);
  });

  test('firstExternalIpv4 skips internal and IPv6 addresses', () => {
    const nic = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
      ({ address, family, internal, netmask: '', mac: '', cidr: null }) as never;
    expect(firstExternalIpv4({ lo: [nic('127.0.0.1', 'IPv4', true)], eth0: [nic('fe80::1', 'IPv6', false), nic('10.1.2.3', 'IPv4', false)] }))
      .toBe('10.1.2.3');
    expect(firstExternalIpv4({ lo: [nic('127.0.0.1', 'IPv4', true)] })).toBe('127.0.0.1');
  });
});

describe('whoami server (in process, 127.0.0.1)', () => {
  let server: WhoamiServer;
  const env = { POD_NAME: 'service-042-abc', POD_NAMESPACE: 'fourhundred', POD_IP: '10.8.0.42', NODE_NAME: 'node-a', WHOAMI_VERSION: '2.0.0' };

  beforeAll(async () => {
    server = await startWhoamiServer({ host: '127.0.0.1', port: 0, identity: identityFromEnv(env, HOST) });
  });
  afterAll(() => server.forceStop());

  test('binds an ephemeral port on 127.0.0.1', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
  });

  test('Who answers with the identity from the environment and the start time', async () => {
    const reply = await who(server.address);
    expect(reply).toMatchObject({
      hostname: 'build-host', podName: 'service-042-abc', namespace: 'fourhundred', podIp: '10.8.0.42', nodeName: 'node-a', version: '2.0.0',
    });
    expect(reply.startedAt).toBe(server.startedAt.toISOString());
  });

  test('health is SERVING for the server and for whoami.v1.WhoAmI; unknown services are NOT_FOUND', async () => {
    expect(await check(server.address)).toBe('SERVING');
    expect(await check(server.address, 'whoami.v1.WhoAmI')).toBe('SERVING');
    await expect(check(server.address, 'no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  test('setServing flips both health entries', async () => {
    server.setServing(false);
    try {
      expect(await check(server.address)).toBe('NOT_SERVING');
      expect(await check(server.address, 'whoami.v1.WhoAmI')).toBe('NOT_SERVING');
    } finally {
      server.setServing(true);
    }
    expect(await check(server.address)).toBe('SERVING');
  });

  test('reflection lists whoami.v1.WhoAmI and health, and describes WhoAmI in one self-contained file (grpcurl list / describe)', async () => {
    const list = await reflect(server.address, { list_services: '' });
    expect(list.list_services_response!.service.map((s) => s.name).sort()).toEqual(['grpc.health.v1.Health', 'whoami.v1.WhoAmI']);
    const files = (await reflect(server.address, { file_containing_symbol: 'whoami.v1.WhoAmI' }))
      .file_descriptor_response!.file_descriptor_proto.map((b) => Buffer.from(b).toString('latin1'));
    // One serialized FileDescriptorProto (proto-loader names it after the package: whoami_v1.proto).
    // It must reference nothing outside itself: grpcurl cannot resolve well-known types imported
    // through @grpc/reflection (grpc/grpc-node#2958), which is why started_at is a string.
    expect(files).toHaveLength(1);
    expect(files[0]).toContain('whoami_v1.proto');
    expect(files[0]).toContain('.whoami.v1.WhoReply');
    expect(files[0]).toContain('pod_name');
    expect(files[0]).toContain('delay_ms');
    expect(files[0]).not.toContain('google.');
    // grpcurl then asks for the file by name.
    const byName = await reflect(server.address, { file_by_filename: 'whoami_v1.proto' });
    expect(Buffer.from(byName.file_descriptor_response!.file_descriptor_proto[0]).toString('latin1')).toBe(files[0]);
    expect((await reflect(server.address, { file_containing_symbol: 'no.such.Symbol' })).error_response)
      .toMatchObject({ error_code: grpc.status.NOT_FOUND });
  });

  test('delay_ms holds the answer; a cancelled call releases it', async () => {
    const pending = who(server.address, 400);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.inFlight()).toBe(1);
    await pending;
    expect(server.inFlight()).toBe(0);
    // The deadline (150 ms) cancels a 5 s wait: the server stops counting it at once.
    await expect(who(server.address, 5000, 150)).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    await new Promise((r) => setTimeout(r, 50));
    expect(server.inFlight()).toBe(0);
  });
});

describe('whoami server stop (in process)', () => {
  test('NOT_SERVING reaches health watchers, the call in flight completes, new connections are refused', async () => {
    const server = await startWhoamiServer({ host: '127.0.0.1', port: 0, identity: identityFromEnv({ POD_NAME: 'draining' }, HOST) });
    const watcher = healthClient(server.address, FRESH);
    try {
      const statuses: HealthStatus[] = [];
      const watch = watcher.watch({ service: '' });
      const watchEnded = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
      watch.on('data', (m: { status: HealthStatus }) => statuses.push(m.status));
      watch.on('error', () => undefined);
      await new Promise<void>((resolve) => watch.once('data', () => resolve()));

      const inFlight = who(server.address, 500);
      await new Promise((r) => setTimeout(r, 100));
      expect(server.inFlight()).toBe(1);

      const stopped = server.stop();
      expect(server.stop()).toBe(stopped);
      expect(await watchEnded).toMatchObject({ code: grpc.status.OK });
      expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
      await expect(who(server.address, 0, 2000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });

      expect((await inFlight).podName).toBe('draining');
      expect(await stopped).toMatchObject({ drained: true, inFlightAtStop: 1 });
    } finally {
      watcher.close();
      server.forceStop();
    }
  });

  test('after the grace period the calls left are cancelled and the stop says it did not drain', async () => {
    const server = await startWhoamiServer({ host: '127.0.0.1', port: 0, gracePeriodMs: 200, identity: identityFromEnv({}, HOST) });
    try {
      const inFlight = who(server.address, 10_000).then(() => 'answered', (err: grpc.ServiceError) => err.code);
      await new Promise((r) => setTimeout(r, 100));
      expect(await server.stop()).toMatchObject({ drained: false, inFlightAtStop: 1 });
      expect(await inFlight).not.toBe('answered');
    } finally {
      server.forceStop();
    }
  });
});
