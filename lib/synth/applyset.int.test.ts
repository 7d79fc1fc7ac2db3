/**
 * The ApplySet files read by the real kubectl, offline (`kubectl kustomize`): what a pruning apply
 * sends carries no label kubectl manages, and every kind and namespace in it is on the parent.
 * (`kubectl apply --dry-run=client --applyset=…` needs an API server for the parent's mapping, so
 * the apply itself is not run here.)
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

const ROOT = path.join(__dirname, '..', '..');
const ENVS = fs.readdirSync(path.join(ROOT, 'envs')).filter((f) => f.endsWith('.env')).map((f) => f.slice(0, -4)).sort();
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const run = (args: string[]) => execFileSync('kubectl', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJSON()).filter((d) => d);

(kubectl.status === 0 ? describe : describe.skip).each(ENVS)('kubectl and dist/%s', (env) => {
  test('kubectl kustomize: no member carries applyset labels; the parent covers every kind and namespace', () => {
    const members = docs(run(['kustomize', path.join(ROOT, 'dist', env)]));
    expect(members.length).toBeGreaterThan(10);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-applyset-'));
    try {
      for (const f of ['applyset-crd.yaml', 'applyset.yaml']) fs.copyFileSync(path.join(ROOT, 'dist', env, f), path.join(dir, f));
      fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - applyset-crd.yaml\n  - applyset.yaml\n');
      const [crd, parent] = docs(run(['kustomize', dir]));
      expect(crd.kind).toBe('CustomResourceDefinition');
      expect(parent.metadata.labels['applyset.kubernetes.io/id']).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
      const kinds = new Set(parent.metadata.annotations['applyset.kubernetes.io/contains-group-kinds'].split(','));
      const namespaces = new Set(parent.metadata.annotations['applyset.kubernetes.io/additional-namespaces'].split(','));
      for (const m of members) {
        const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : '';
        expect(kinds).toContain(group ? `${m.kind}.${group}` : m.kind);
        if (m.metadata.namespace) expect(namespaces).toContain(m.metadata.namespace);
        expect(Object.keys(m.metadata.labels ?? {}).filter((k) => k.startsWith('applyset.kubernetes.io/'))).toEqual([]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
