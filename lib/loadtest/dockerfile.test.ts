/**
 * The load-test image's Dockerfile (never built here: no Docker engine in CI): the pins and the files
 * it copies are checked against the repository.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LOCUST_DIR, REPO } from './locust';

const dockerfile = fs.readFileSync(path.join(__dirname, 'Dockerfile'), 'utf8');
const arg = (name: string): string => {
  const m = new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(dockerfile);
  if (!m) throw new Error(`no ARG ${name}=… in lib/loadtest/Dockerfile`);
  return m[1];
};

test('the official Locust image, pinned to a release', () => {
  expect(arg('LOCUST_IMAGE')).toMatch(/^locustio\/locust:\d+\.\d+\.\d+$/);
  const froms = dockerfile.match(/^FROM .*$/gm)!;
  expect(froms).toEqual(['FROM ${LOCUST_IMAGE} AS stubs', 'FROM ${LOCUST_IMAGE}']);
});

test('grpcio, grpcio-tools and protobuf pinned to exact versions, grpcio and grpcio-tools the same', () => {
  expect(arg('GRPC_VERSION')).toMatch(/^\d+\.\d+\.\d+$/);
  expect(arg('PROTOBUF_VERSION')).toMatch(/^\d+\.\d+\.\d+$/);
  const installs = dockerfile.match(/^RUN pip install .*$/gm)!;
  expect(installs).toHaveLength(2);
  for (const line of installs) {
    expect(line).toContain('"grpcio==${GRPC_VERSION}"');
    expect(line).toContain('"protobuf==${PROTOBUF_VERSION}"');
    const specs = line.replace(/^RUN pip install --no-cache-dir /, '').split(' ');
    for (const spec of specs) expect(spec).toMatch(/^"[a-z][a-z-]*==\$\{[A-Z_]+_VERSION\}"$/);
  }
  expect(installs[0]).toContain('"grpcio-tools==${GRPC_VERSION}"');
});

test('the stubs are generated from protos/ in the image; the final stage copies them and every locustfile module', () => {
  expect(dockerfile).toMatch(/python -m grpc_tools\.protoc -I \/src\/protos --python_out=\/stubs --grpc_python_out=\/stubs \/src\/protos\/\*\.proto/);
  expect(dockerfile).toContain('COPY --from=stubs /stubs/ /home/locust/stubs/');
  expect(dockerfile).toContain('MEGA8S_GRPC_STUBS=/home/locust/stubs');
  const copy = /^COPY (lib\/loadtest\/locust\/\S+ ?)+ \/home\/locust\/$/m.exec(dockerfile)![0];
  const copied = copy.split(' ').slice(1, -1).map((f) => path.relative('lib/loadtest/locust', f)).sort();
  const modules = fs.readdirSync(LOCUST_DIR).filter((f) => f.endsWith('.py')).sort();
  expect(copied).toEqual(modules);
  expect(fs.existsSync(path.join(REPO, 'protos'))).toBe(true);
  expect(dockerfile).toMatch(/^ENV [^]*LOCUST_LOCUSTFILE=\/home\/locust\/whoami_locustfile\.py/m);
  // A locustfile from a ConfigMap (mounted at LOCUSTFILE_DIR) imports grpc_user from the image.
  expect(dockerfile).toMatch(/^ENV [^]*PYTHONPATH=\/home\/locust /m);
});

test('runs as a numeric non-root user', () => {
  const users = dockerfile.match(/^USER .*$/gm)!;
  expect(users[users.length - 1]).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
});
