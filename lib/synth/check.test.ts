/**
 * The app's checks over every environment's output: the schema check (which validates plain
 * manifests as they are) gives what kubernetes-models' own models give, for every object the app
 * makes and for a broken copy of one object of each kind.
 */
import * as path from 'path';
import { loadEnvironment } from '../env';
import { CHARTS } from '../charts';
import { schemaProblems } from '../../constructs/checks/schema';
import { buildEnvironment } from './build';
import { checkObjects } from './check';

const ROOT = path.join(__dirname, '..', '..');

/** `new Model(m).validate()`, its errors worded as the checks word them. */
function viaModel(m: any): string[] {
  const Model = require(`kubernetes-models/${m.apiVersion}/${m.kind}`)[m.kind];
  try {
    new Model(m).validate();
    return [];
  } catch (e: any) {
    return e.errors.map((x: any) => `does not match the ${m.apiVersion} ${m.kind} schema: ${x.instancePath || '/'} ${x.message}${x.params?.allowedValues ? ` (${x.params.allowedValues.join(', ')})` : ''}`);
  }
}

describe.each(['dev', 'staging', 'prod'])('%s', (name) => {
  const env = loadEnvironment(path.join(ROOT, 'envs', `${name}.env`));
  const objects = buildEnvironment(env, CHARTS).flatMap((c) => c.objects);

  test('the output passes every check', () => {
    expect(checkObjects(env, objects)).toEqual([]);
  });

  test('every object, and a broken copy of one of each kind, gets the model\'s schema verdict', () => {
    const kinds = new Set<string>();
    for (const o of objects) {
      expect([o.path, schemaProblems(o.manifest)]).toEqual([o.path, viaModel(o.manifest)]);
      if (kinds.has(o.manifest.kind)) continue;
      kinds.add(o.manifest.kind);
      const broken = JSON.parse(JSON.stringify(o.manifest));
      broken.metadata.labels = { ...broken.metadata.labels, broken: 1 };
      if (broken.spec && typeof broken.spec === 'object') broken.spec.replicas = 'two';
      const problems = schemaProblems(broken);
      expect(problems.length).toBeGreaterThan(0);
      expect([o.path, problems]).toEqual([o.path, viaModel(broken)]);
    }
  });
});
