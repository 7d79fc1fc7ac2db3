import { podFixture } from '../fake-kube';
import { LineSplitter, PodStore, tagOf, viewOf } from './pods';

describe('viewOf', () => {
  test('reads name, experiment, IP, version, restarts and readiness', () => {
    const pod = podFixture('getip-1', 'getip', { image: 'registry.example:5000/kube-alive:v7', ip: '10.2.3.4', restarts: 3 });
    expect(viewOf(pod)).toEqual({ name: 'getip-1', experiment: 'getip', ip: '10.2.3.4', version: 'v7', restarts: 3, ready: true, state: 'Running', terminating: false });
  });
  test('a waiting reason wins over the phase; a deletion makes it Terminating and not ready', () => {
    const crashing = podFixture('healthcheck-1', 'healthcheck', { ready: false });
    crashing.status!.containerStatuses![0].state = { waiting: { reason: 'CrashLoopBackOff' } };
    expect(viewOf(crashing)).toMatchObject({ state: 'CrashLoopBackOff', ready: false });
    const leaving = podFixture('incver-1', 'incver');
    leaving.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(viewOf(leaving)).toMatchObject({ state: 'Terminating', ready: false, terminating: true });
  });
  test('the program comes from the name label, the component label or the older app label', () => {
    const pod = podFixture('x', 'getip');
    pod.metadata.labels = { app: 'cpuhog' };
    expect(viewOf(pod).experiment).toBe('cpuhog');
    pod.metadata.labels = { 'app.kubernetes.io/name': 'kube-alive', 'app.kubernetes.io/component': 'incver' };
    expect(viewOf(pod).experiment).toBe('incver');
    pod.metadata.labels = { 'app.kubernetes.io/name': 'postgres' };
    expect(viewOf(pod).experiment).toBeUndefined();
  });
  test('tagOf', () => {
    expect(tagOf('localhost:5000/a/b:3')).toBe('3');
    expect(tagOf('localhost:5000/a/b')).toBe('latest');
    expect(tagOf('b@sha256:0123456789abcdef0123')).toBe('sha256:0123456789ab');
    expect(tagOf(undefined)).toBe('?');
  });
});

describe('PodStore', () => {
  test('a list, then watch events add, modify and delete pods per experiment', () => {
    const store = new PodStore();
    store.replace([podFixture('getip-b', 'getip'), podFixture('cpuhog-a', 'cpuhog')], '10');
    expect(store.resourceVersion).toBe('10');
    const added = podFixture('getip-a', 'getip');
    added.metadata.resourceVersion = '11';
    expect(store.apply({ type: 'ADDED', object: added })).toBe('changed');
    expect(store.of('getip').map((p) => p.name)).toEqual(['getip-a', 'getip-b']);
    const restarted = podFixture('getip-a', 'getip', { restarts: 1 });
    restarted.metadata.resourceVersion = '12';
    store.apply({ type: 'MODIFIED', object: restarted });
    expect(store.of('getip')[0].restarts).toBe(1);
    store.apply({ type: 'DELETED', object: { ...podFixture('getip-b', 'getip'), metadata: { name: 'getip-b', resourceVersion: '13' } } });
    expect(store.of('getip').map((p) => p.name)).toEqual(['getip-a']);
    expect(store.resourceVersion).toBe('13');
    expect(store.apply({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } })).toBe('unchanged');
    expect(store.resourceVersion).toBe('20');
    expect(store.size).toBe(2);
  });
  test('410 Gone asks for a fresh list', () => {
    const store = new PodStore();
    expect(store.apply({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } })).toBe('expired');
    expect(store.apply({ type: 'ERROR', object: { kind: 'Status', code: 500 } })).toBe('unchanged');
  });
});

describe('LineSplitter', () => {
  test('parses complete lines and keeps the unfinished tail for the next chunk', () => {
    const s = new LineSplitter();
    const line = JSON.stringify({ type: 'ADDED', object: podFixture('a', 'getip') });
    expect(s.push(line.slice(0, 20))).toEqual([]);
    expect(s.push(`${line.slice(20)}\n${line.slice(0, 5)}`)).toEqual([JSON.parse(line)]);
    expect(s.push(`${line.slice(5)}\n\n`)).toHaveLength(1);
  });
});
