import { App, Chart, Testing } from 'cdk8s';
import { toYamlDocuments } from '../lib/synth/yaml';
import { GkeDiskType, GkeStorageClass, GkeStorageClassProps, ReclaimPolicy } from './storage-class';
import { errorOf } from '../lib/testing';

function build(props: GkeStorageClassProps = {}) {
  const chart = new Chart(new App(), 'test', { namespace: 'shippy', disableResourceNameHashes: true });
  const sc = new GkeStorageClass(chart, 'fast', props);
  const objects = Testing.synth(chart);
  expect(objects).toHaveLength(1);
  return { sc, obj: objects[0] };
}


describe('GkeStorageClass', () => {
  test('the article\'s fast class, made the way GKE does it today', () => {
    const { obj, sc } = build();
    expect(obj.apiVersion).toBe('storage.k8s.io/v1');
    expect(obj.kind).toBe('StorageClass');
    expect(obj.metadata.name).toBe('fast');
    expect(sc.name).toBe('fast');
    expect(obj.provisioner).toBe('pd.csi.storage.gke.io');
    expect(obj.parameters).toEqual({ type: 'pd-ssd' });
    expect(obj.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(obj.allowVolumeExpansion).toBe(true);
    expect(obj.reclaimPolicy).toBe('Delete');
  });

  test('cluster-scoped: no namespace even in a namespaced chart', () => {
    expect(build().obj.metadata.namespace).toBeUndefined();
  });

  test('disk type, reclaim policy, regional disks, name and labels', () => {
    const { obj } = build({ name: 'balanced-retain', diskType: GkeDiskType.PD_BALANCED, reclaimPolicy: ReclaimPolicy.RETAIN, regional: true, partOf: 'shippy' });
    expect(obj.metadata.name).toBe('balanced-retain');
    expect(obj.parameters).toEqual({ type: 'pd-balanced', 'replication-type': 'regional-pd' });
    expect(obj.reclaimPolicy).toBe('Retain');
    expect(obj.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'shippy', 'app.kubernetes.io/managed-by': 'mega8s' });
  });

  test('bad props throw with the construct path', () => {
    expect(errorOf(() => build({ name: 'Fast' }))).toBe('test/fast: name "Fast" is not a valid DNS-1123 subdomain (lowercase letters, digits, \'-\' and \'.\', at most 253 characters)');
    expect(errorOf(() => build({ diskType: 'ssd' as GkeDiskType }))).toBe('test/fast: diskType "ssd" is not one of pd-ssd, pd-balanced, pd-standard, pd-extreme');
    expect(errorOf(() => build({ reclaimPolicy: 'Recycle' as ReclaimPolicy }))).toBe('test/fast: reclaimPolicy "Recycle" is not one of Delete, Retain');
  });

  test('snapshot', () => {
    expect(toYamlDocuments([build().obj])).toMatchSnapshot();
  });
});
