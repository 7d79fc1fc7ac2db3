import { readEnvValue, setEnvValue } from './env-file';

const FILE = [
  '# dev: a small cluster. Keys are documented in lib/env.ts and the README.',
  'IMAGE_REGISTRY=gcr.io/mega8s-dev',
  '',
  'TODO_API_ACTIVE_COLOR=blue   # which colour serves',
  'TODO_API_BLUE_TAG="1.0.0"',
  'export TODO_API_GREEN_TAG=',
  'QUOTA_CPUS=24',
  '',
].join('\n');

test('reads values the way dotenv does (quotes, export, trailing comments)', () => {
  expect(readEnvValue(FILE, 'TODO_API_ACTIVE_COLOR')).toBe('blue');
  expect(readEnvValue(FILE, 'TODO_API_BLUE_TAG')).toBe('1.0.0');
  expect(readEnvValue(FILE, 'TODO_API_GREEN_TAG')).toBe('');
  expect(readEnvValue(FILE, 'NOPE')).toBeUndefined();
});

test('setting a value changes only that line, byte for byte elsewhere', () => {
  const out = setEnvValue(FILE, 'TODO_API_GREEN_TAG', '1.1.0');
  expect(out).toBe(FILE.replace('export TODO_API_GREEN_TAG=', 'export TODO_API_GREEN_TAG=1.1.0'));
  expect(readEnvValue(out, 'TODO_API_GREEN_TAG')).toBe('1.1.0');
  const flipped = setEnvValue(out, 'TODO_API_ACTIVE_COLOR', 'green');
  expect(flipped).toBe(out.replace('TODO_API_ACTIVE_COLOR=blue   # which colour serves', 'TODO_API_ACTIVE_COLOR=green'));
  expect(readEnvValue(flipped, 'TODO_API_ACTIVE_COLOR')).toBe('green');
  expect(setEnvValue(FILE, 'TODO_API_BLUE_TAG', '2.0.0')).toBe(FILE.replace('TODO_API_BLUE_TAG="1.0.0"', 'TODO_API_BLUE_TAG=2.0.0'));
});

test('CRLF files keep their line ends; a missing key is appended on its own line', () => {
  const crlf = 'A=1\r\nB=2\r\n';
  expect(setEnvValue(crlf, 'A', '3')).toBe('A=3\r\nB=2\r\n');
  expect(setEnvValue('A=1', 'B', 'x')).toBe('A=1\nB=x\n');
  expect(setEnvValue('A=1\n', 'B', 'x')).toBe('A=1\nB=x\n');
  expect(setEnvValue('', 'B', 'x')).toBe('B=x\n');
});

test('a key defined twice, or a value that would need quoting, is refused', () => {
  expect(() => setEnvValue('A=1\nA=2\n', 'A', '3')).toThrow('A is defined 2 times: keep one definition');
  expect(() => setEnvValue(FILE, 'TODO_API_BLUE_TAG', '1.0 # x')).toThrow('TODO_API_BLUE_TAG: value "1.0 # x" is not allowed: expected letters, digits and . _ - / : @ +');
  expect(() => setEnvValue(FILE, 'BAD KEY', '1')).toThrow('"BAD KEY" is not an env key');
});

test('a key whose name is the end of another key is not confused with it', () => {
  expect(setEnvValue('XTODO_API_BLUE_TAG=1\nTODO_API_BLUE_TAG=2\n', 'TODO_API_BLUE_TAG', '3')).toBe('XTODO_API_BLUE_TAG=1\nTODO_API_BLUE_TAG=3\n');
});
