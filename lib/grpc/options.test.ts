import { InvalidArgumentError } from 'commander';
import { collect, joinHostPort, parseDuration, parseInteger, parsePort, parsePositiveNumber, parseRatio, parseTarget } from './options';

test('parseDuration: units, combinations, bare seconds', () => {
  expect(parseDuration('500ms')).toBe(500);
  expect(parseDuration('30s')).toBe(30_000);
  expect(parseDuration('1.5s')).toBe(1500);
  expect(parseDuration('2m')).toBe(120_000);
  expect(parseDuration('1h')).toBe(3_600_000);
  expect(parseDuration('1m30s')).toBe(90_000);
  expect(parseDuration('45')).toBe(45_000);
  for (const bad of ['', 's', '10x', '10 s', '-5s', '1m 30s', 'abc']) {
    expect(() => parseDuration(bad)).toThrow(InvalidArgumentError);
  }
  expect(() => parseDuration('10x')).toThrow('"10x" is not a duration: expected e.g. 500ms, 30s, 2m, 1m30s or a number of seconds');
});

test('parseInteger, parsePort, parsePositiveNumber, parseRatio', () => {
  expect(parseInteger('12', 1)).toBe(12);
  expect(() => parseInteger('0', 1)).toThrow('0 is out of range 1-9007199254740991');
  expect(() => parseInteger('1.5', 1)).toThrow('"1.5" is not an integer');
  expect(parsePort('10000')).toBe(10000);
  expect(() => parsePort('0')).toThrow('0 is out of range 1-65535');
  expect(parsePort('0', true)).toBe(0);
  expect(() => parsePort('70000')).toThrow('70000 is out of range 1-65535');
  expect(parsePositiveNumber('0.5')).toBe(0.5);
  expect(() => parsePositiveNumber('0')).toThrow('"0" is not a positive number');
  expect(parseRatio('0.01')).toBe(0.01);
  expect(parseRatio('1')).toBe(1);
  expect(() => parseRatio('1.5')).toThrow('"1.5" is not a ratio between 0 and 1');
});

test('parseTarget accepts host:port and [ipv6]:port only', () => {
  expect(parseTarget('127.0.0.1:10000')).toBe('127.0.0.1:10000');
  expect(parseTarget('service-000.fourhundred.svc:10000')).toBe('service-000.fourhundred.svc:10000');
  expect(parseTarget('[::1]:8080')).toBe('[::1]:8080');
  expect(() => parseTarget('127.0.0.1')).toThrow('"127.0.0.1" is not a target: expected host:port or [ipv6]:port');
  expect(() => parseTarget('::1:80')).toThrow(InvalidArgumentError);
  expect(() => parseTarget('http://x:80')).toThrow(InvalidArgumentError);
  expect(() => parseTarget('host:0')).toThrow('"host:0": port 0 is out of range 1-65535');
});

test('joinHostPort brackets IPv6; collect accumulates', () => {
  expect(joinHostPort('10.0.0.1', 1)).toBe('10.0.0.1:1');
  expect(joinHostPort('::', 10000)).toBe('[::]:10000');
  const add = collect(parseTarget);
  expect(add('b:2', add('a:1', undefined))).toEqual(['a:1', 'b:2']);
});
