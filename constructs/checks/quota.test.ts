/**
 * quotaProblems sums each quota without sorting its consumers by name and sorts them only for a
 * quota that is exceeded: its figures and messages must be those `quotaUse` gives.
 */
import { SynthObject } from './objects';
import { QUOTA_UNITS, QuotaLimits, QuotaName, quotaProblems, quotaUse } from './quota';

function deployment(name: string, cpu: string, replicas: number): SynthObject {
  return {
    chart: 'c',
    path: `c/${name}`,
    manifest: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'team' },
      spec: { replicas, template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu } } }] } } },
    },
  };
}

function loadBalancer(name: string): SynthObject {
  return { chart: 'c', path: `c/${name}`, manifest: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'team' }, spec: { type: 'LoadBalancer' } } };
}

/** A deterministic mix of fractional cpu requests whose float sum depends on the order of adding. */
function output(n: number): SynthObject[] {
  const cpus = ['0.1', '0.2', '0.3', '333m', '0.7', '1.1', '17m', '2'];
  const out: SynthObject[] = [];
  for (let i = 0; i < n; i++) {
    out.push(deployment(`d-${String((i * 7919) % n).padStart(4, '0')}`, cpus[i % cpus.length], 1 + (i % 3)));
    if (i % 4 === 0) out.push(loadBalancer(`lb-${i}`));
  }
  return out;
}

/** The messages as quotaUse's figures give them. */
function fromQuotaUse(objects: SynthObject[], limits: QuotaLimits, source: string): string[] {
  return quotaUse(objects, { limits, source }).filter((u) => u.limit !== undefined && u.need > u.limit).map((u) => {
    const r = (x: number) => String(Math.round(x * 1000) / 1000);
    const top = u.consumers.slice(0, 5).map((c) => `${c.object} (${r(c.amount)})`).join(', ');
    const more = u.consumers.length > 5 ? ` and ${u.consumers.length - 5} more` : '';
    return `quota ${u.name} exceeded: the output needs ${r(u.need)} ${u.unit}, the limit is ${u.limit} (${source}); biggest consumers: ${top}${more}`;
  });
}

describe('quotaProblems agrees with quotaUse', () => {
  test.each([1, 7, 40, 333])('%d workloads, limits around the need', (n) => {
    const objects = output(n);
    const use = Object.fromEntries(quotaUse(objects).map((u) => [u.quota, u.need])) as Record<QuotaName, number>;
    for (const delta of [-1, -0.001, 0, 0.001, 1]) {
      const limits = Object.fromEntries((Object.keys(QUOTA_UNITS) as QuotaName[]).map((q) => [q, Math.max(0, use[q] + delta)])) as QuotaLimits;
      expect(quotaProblems(objects, { limits, source: 'envs/x.env' })).toEqual(fromQuotaUse(objects, limits, 'envs/x.env'));
    }
    expect(quotaProblems(objects, { limits: { cpus: 0 }, source: 'envs/x.env' })).toHaveLength(use.cpus > 0 ? 1 : 0);
  });

  test('a quantity that is not one fails as quotaUse fails, with or without limits', () => {
    const objects = [deployment('bad', 'lots', 1)];
    expect(() => quotaUse(objects)).toThrow('not a quantity: lots');
    expect(() => quotaProblems(objects)).toThrow('not a quantity: lots');
  });
});
