import { ApiObject, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { FleetOf, GrpcService, PropError } from '.';

const IMAGE = 'gcr.io/p/grpc-server:1';
const grpc = (s: Construct, id: string) => new GrpcService(s, id, { image: IMAGE });

describe('FleetOf', () => {
  test('makes n members named <prefix>-000 … in order and exposes them', () => {
    const chart = Testing.chart();
    const indexes: number[] = [];
    const fleet = new FleetOf(chart, 'service', { size: 12, member: (s, id, i) => { indexes.push(i); return grpc(s, id); } });
    expect(fleet.members).toHaveLength(12);
    expect(fleet.members.map((m) => m.name)).toEqual(Array.from({ length: 12 }, (_, i) => `service-${String(i).padStart(3, '0')}`));
    expect(indexes).toEqual([...Array(12).keys()]);
    const deployments = Testing.synth(chart).filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name)[11]).toBe('service-011');
  });

  test.each([
    [0, []],
    [1, ['x-000', 'x-000']],
    [1000, ['x-000', 'x-999']],
    [1001, ['x-0000', 'x-1000']],
    [10000, ['x-0000', 'x-9999']],
  ])('size %i pads to fit: first and last names %j', (size, names) => {
    if (size === 0) {
      expect(FleetOf.memberName('x', 0, 0)).toBe('x-000');
      return;
    }
    expect([FleetOf.memberName('x', 0, size), FleetOf.memberName('x', size - 1, size)]).toEqual(names);
  });

  test('an empty fleet is allowed and makes nothing', () => {
    const chart = Testing.chart();
    expect(new FleetOf(chart, 'service', { size: 0, member: grpc }).members).toEqual([]);
    expect(Testing.synth(chart)).toEqual([]);
  });

  test('labels given to the fleet land on every object of every member', () => {
    const chart = Testing.chart();
    new FleetOf(chart, 'service', { size: 3, labels: { grpc: 'true', service: 'whoami' }, member: grpc });
    const objects = Testing.synth(chart);
    expect(objects).toHaveLength(9);
    for (const o of objects) expect(o.metadata.labels).toMatchObject({ grpc: 'true', service: 'whoami' });
  });

  test('fleet labels must be valid label keys and values', () => {
    expect(() => new FleetOf(Testing.chart(), 'service', { size: 1, labels: { grpc: true as unknown as string }, member: grpc }))
      .toThrow('test/service: labels grpc=true is not a valid label value');
  });

  test('a custom prefix names the members', () => {
    const chart = Testing.chart();
    const fleet = new FleetOf(chart, 'f', { size: 2, prefix: 'whoami', member: grpc });
    expect(fleet.members.map((m) => m.node.id)).toEqual(['whoami-000', 'whoami-001']);
    expect(fleet.members.every((m) => m.node.findAll().some((c) => c instanceof ApiObject))).toBe(true);
  });

  test.each([
    [-1, 'test/service: size -1 is out of range: expected at least 0'],
    [2.5, 'test/service: size 2.5 is not an integer'],
    [10001, 'test/service: size 10001 is above 10000, the Kubernetes per-cluster service threshold: expected at most 10000, or set allowAboveServiceLimit'],
  ])('rejects size %p', (size, message) => {
    expect(() => new FleetOf(Testing.chart(), 'service', { size, member: grpc })).toThrow(PropError);
    expect(() => new FleetOf(Testing.chart(), 'service', { size, member: grpc })).toThrow(message);
  });

  test('more than 10,000 members when the caller explicitly allows it', () => {
    const chart = Testing.chart();
    const fleet = new FleetOf(chart, 'n', { size: 10001, allowAboveServiceLimit: true, member: (s, id) => new Construct(s, id) });
    expect(fleet.members).toHaveLength(10001);
    expect(fleet.members[10000].node.id).toBe('n-10000');
  });

  test('a prefix that makes member names too long is rejected', () => {
    expect(() => new FleetOf(Testing.chart(), 'x'.repeat(60), { size: 2, member: grpc }))
      .toThrow(/prefix "x{60}-001" is not a valid DNS-1123 label/);
  });

  test('a factory that returns nothing, or makes its member elsewhere, is a PropError naming the member', () => {
    expect(() => new FleetOf(Testing.chart(), 'service', { size: 2, member: (() => undefined) as any }))
      .toThrow('test/service: member factory returned undefined for service-000: expected the construct it made');
    const chart = Testing.chart();
    expect(() => new FleetOf(chart, 'service', { size: 1, member: (_s, id) => new Construct(chart, id) }))
      .toThrow('test/service: member factory made service-000 under test: expected it under the fleet');
  });
});
