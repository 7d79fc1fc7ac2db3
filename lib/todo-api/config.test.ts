import { DEFAULT_DATABASE, DEFAULT_SERVER_SELECTION_TIMEOUT_MS, mongoConfigFromEnv } from './config';

test('MONGODB_URI is used as given; the description drops the password', () => {
  const config = mongoConfigFromEnv({ MONGODB_URI: 'mongodb://todo:s3cr%40t@mongo-0.mongo:27017,mongo-1.mongo:27017/?replicaSet=rs0' });
  expect(config.uri).toBe('mongodb://todo:s3cr%40t@mongo-0.mongo:27017,mongo-1.mongo:27017/?replicaSet=rs0');
  expect(config.description).toBe('mongodb://todo@mongo-0.mongo:27017,mongo-1.mongo:27017');
  expect(config.description).not.toContain('s3cr');
  expect(config.database).toBe(DEFAULT_DATABASE);
  expect(config.options.serverSelectionTimeoutMS).toBe(DEFAULT_SERVER_SELECTION_TIMEOUT_MS);
  expect(config.options.auth).toBeUndefined();
});

test('MONGODB_URI wins over the host variables', () => {
  const config = mongoConfigFromEnv({ MONGODB_URI: 'mongodb://a:1/', MONGODB_HOST: 'b', MONGODB_USERNAME: 'u', MONGODB_PASSWORD: 'p' });
  expect(config.uri).toBe('mongodb://a:1/');
  expect(config.options.auth).toBeUndefined();
});

test('host variables: the credentials go to the driver, never into the URL', () => {
  const config = mongoConfigFromEnv({
    MONGODB_HOST: 'mongo-0.mongo:27017, mongo-1.mongo:27017', MONGODB_USERNAME: 'todo', MONGODB_PASSWORD: 'p@ss:/word',
    MONGODB_REPLICA_SET: 'rs0', MONGODB_DATABASE: 'todo_dev', MONGODB_SERVER_SELECTION_TIMEOUT: '30s',
  });
  expect(config.uri).toBe('mongodb://mongo-0.mongo:27017,mongo-1.mongo:27017/?replicaSet=rs0');
  expect(config.options).toMatchObject({ auth: { username: 'todo', password: 'p@ss:/word' }, authSource: 'admin', serverSelectionTimeoutMS: 30_000 });
  expect(config.database).toBe('todo_dev');
  expect(config.description).toBe('mongodb://todo@mongo-0.mongo:27017,mongo-1.mongo:27017');
});

test('host without credentials, custom auth source only with credentials', () => {
  const config = mongoConfigFromEnv({ MONGODB_HOST: 'localhost', MONGODB_AUTH_SOURCE: 'todos' });
  expect(config.uri).toBe('mongodb://localhost/');
  expect(config.options.auth).toBeUndefined();
  expect(config.options.authSource).toBeUndefined();
  expect(mongoConfigFromEnv({ MONGODB_HOST: 'h', MONGODB_USERNAME: 'u', MONGODB_PASSWORD: 'p', MONGODB_AUTH_SOURCE: 'todos' }).options.authSource).toBe('todos');
});

test.each([
  [{}, 'no MongoDB configured: set MONGODB_URI, or MONGODB_HOST (with MONGODB_USERNAME and MONGODB_PASSWORD when the server requires authentication)'],
  [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI is not a connection string: expected mongodb://[user:password@]host[:port][,...][/db][?options]'],
  [{ MONGODB_HOST: 'a b' }, 'MONGODB_HOST "a b" is not a host list: expected host, host:port or a comma-separated list of them'],
  [{ MONGODB_HOST: 'h', MONGODB_USERNAME: 'u' }, 'MONGODB_USERNAME and MONGODB_PASSWORD go together: only MONGODB_USERNAME is set'],
  [{ MONGODB_HOST: 'h', MONGODB_PASSWORD: 'p' }, 'MONGODB_USERNAME and MONGODB_PASSWORD go together: only MONGODB_PASSWORD is set'],
  [{ MONGODB_HOST: 'h', MONGODB_DATABASE: 'a.b' }, 'MONGODB_DATABASE "a.b" is not a database name: expected 1-63 letters, digits, _ or -'],
  [{ MONGODB_HOST: 'h', MONGODB_SERVER_SELECTION_TIMEOUT: 'soon' }, 'MONGODB_SERVER_SELECTION_TIMEOUT: "soon" is not a duration: expected e.g. 500ms, 30s, 2m, 1m30s or a number of seconds'],
])('bad settings %j are refused: %s', (env, message) => {
  expect(() => mongoConfigFromEnv(env)).toThrow(message);
});
