import { Testing } from 'cdk8s';
import { dataClaimTemplate, keepNullCreationTimestamps, storedClaimTemplate } from './stateful';
import { renderObject } from './workload';
import { toYamlDocuments } from '../lib/synth/yaml';

describe('claim templates as the API server stores them', () => {
  test('storedClaimTemplate adds apiVersion, kind, volumeMode and status, and keeps what is set', () => {
    expect(storedClaimTemplate({ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } })).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    });
    expect(storedClaimTemplate({ metadata: { name: 'raw' }, spec: { volumeMode: 'Block' } }).spec.volumeMode).toBe('Block');
  });

  test('dataClaimTemplate writes every template that way, rendered in sorted key order, and the rest is left alone', () => {
    const chart = Testing.chart();
    const selector = { app: 'db' };
    const statefulSet = renderObject(chart, 'sts', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: selector },
        template: { metadata: { labels: selector }, spec: { containers: [{ name: 'db', image: 'db:1' }] } },
        volumeClaimTemplates: [dataClaimTemplate(selector, '1024Mi'), dataClaimTemplate(selector, '2Gi', 'fast')],
      },
    });
    keepNullCreationTimestamps(statefulSet, 2);
    const [sts] = Testing.synth(chart);
    expect(sts.spec.volumeClaimTemplates.map((t: any) => [t.apiVersion, t.kind, t.metadata.creationTimestamp, t.spec.volumeMode, t.status.phase, t.spec.resources.requests.storage]))
      .toEqual([['v1', 'PersistentVolumeClaim', null, 'Filesystem', 'Pending', '1Gi'], ['v1', 'PersistentVolumeClaim', null, 'Filesystem', 'Pending', '2Gi']]);
    for (const t of sts.spec.volumeClaimTemplates) {
      expect(Object.keys(t)).toEqual([...Object.keys(t)].sort());
      expect(t.metadata).toEqual({ name: 'data', labels: selector, creationTimestamp: null });
      expect(Object.keys(t.spec)).toEqual([...Object.keys(t.spec)].sort());
    }
    expect(sts.spec.template.spec.containers).toEqual([{ name: 'db', image: 'db:1' }]);
    expect(toYamlDocuments([sts])).toContain('    - apiVersion: v1\n      kind: PersistentVolumeClaim\n      metadata:\n');
    expect(toYamlDocuments([sts])).toContain('        creationTimestamp: null\n');
  });
});
