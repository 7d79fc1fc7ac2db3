import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import type { Validation, ValidationContext as CliValidationContext } from 'cdk8s-cli/lib/plugins/validation';
import { GrpcService, SecureNamespace } from '..';
import { CheckRule } from './check';
import { Mega8sValidation } from './validation';

// cdk8s-cli's own classes, as `cdk8s synth` hands them to a plugin (its "./plugins" export).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ValidationContext } = require('cdk8s-cli/plugins') as { ValidationContext: new (...args: any[]) => CliValidationContext };

let outdir: string;
beforeEach(() => { outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-validation-')); });
afterEach(() => fs.rmSync(outdir, { recursive: true, force: true }));

/** Synthesizes an app the way `cdk8s synth` runs it (files per chart, construct metadata recorded). */
function synth(build: (chart: Chart) => void): CliValidationContext {
  const app = new App({ outdir, recordConstructMetadata: true });
  const chart = new Chart(app, 'team', { namespace: 'team', disableResourceNameHashes: true });
  new SecureNamespace(chart, 'ns', { name: 'team' });
  build(chart);
  app.synth();
  const manifests = fs.readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml')).map((f) => path.join(outdir, f));
  const metadata = JSON.parse(fs.readFileSync(path.join(outdir, 'construct-metadata.json'), 'utf8')).resources;
  return new ValidationContext(manifests, 'mega8s', '0.1.0', metadata, false);
}

describe('Mega8sValidation, the cdk8s validation plugin', () => {
  test('implements cdk8s-cli\'s Validation contract', () => {
    const plugin: Validation = new Mega8sValidation();
    expect(typeof plugin.validate).toBe('function');
  });

  test('a correct app: the report succeeds', async () => {
    const context = synth((chart) => new GrpcService(chart, 'api', { image: 'gcr.io/p/api:1', replicas: 2 }).allowFrom({ app: 'client' }));
    await new Mega8sValidation().validate(context);
    expect(context.report.success).toBe(true);
    // Namespace, its default-deny policy, Deployment, Service, PDB, the workload's NetworkPolicy.
    expect(context.report.toJson().summary.metadata).toEqual({ objects: '6', problems: '0' });
  });

  test('each problem is a violation naming the rule, the object, its construct path and the manifest file', async () => {
    const context = synth((chart) => {
      new GrpcService(chart, 'api', { image: 'gcr.io/p/api:1' });
      new ApiObject(chart, 'runner', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'runner' },
        spec: { containers: [{ name: 'main', image: 'r/api:latest', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } } }] },
      });
    });
    await new Mega8sValidation().validate(context);
    expect(context.report.success).toBe(false);
    const violations = context.report.toJson().violations;
    const image = violations.find((v) => v.ruleName === `mega8s/${CheckRule.IMAGE}`)!;
    expect(image.recommendation).toBe('Pod team/runner (team/runner): container main image "r/api:latest" is not pinned to a tag or digest (latest is not a pin)');
    expect(image.violatingConstructs).toEqual([{ resourceName: 'runner', locations: ['Pod team/runner'], manifestPath: path.join(outdir, 'team.k8s.yaml'), constructPath: 'team/runner' }]);
    expect(violations.filter((v) => v.ruleName === 'mega8s/pod-security').map((v) => v.recommendation))
      .toContain('Pod team/runner (team/runner): pod security "restricted" (enforced on namespace team): container main: runAsNonRoot is not true');
    expect(context.report.toString()).toContain('How to fix: pin the image to a tag other than latest, or to a digest');
  });

  test('an object name two objects share gets no guessed construct path: the message names the manifest file and document', async () => {
    const context = synth((chart) => {
      new GrpcService(chart, 'api', { image: 'gcr.io/p/api:1' });
      new ApiObject(chart, 'ghost', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api-2' }, spec: { selector: { app: 'nothing' }, ports: [{ port: 80 }] } });
      new ApiObject(chart, 'ghost-2', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-2' }, data: {} });
    });
    await new Mega8sValidation().validate(context);
    const docs = context.parseManifest(context.manifests[0]);
    const documentOf = (kind: string, name: string) => docs.findIndex((d) => d.kind === kind && d.metadata.name === name) + 1;
    expect(documentOf('Service', 'api-2')).toBeGreaterThan(1);
    const selector = context.report.toJson().violations.find((v) => v.ruleName === 'mega8s/service')!;
    expect(selector.recommendation).toBe(`Service team/api-2 (${path.join(outdir, 'team.k8s.yaml')}, document ${documentOf('Service', 'api-2')}): selector {"app":"nothing"} matches no pod template in namespace team`);
  });

  test('properties from cdk8s.yaml are the checkApp options, validated when the plugin is made', async () => {
    const context = synth((chart) => new GrpcService(chart, 'api', { image: 'gcr.io/p/api:1', replicas: 3, resources: { requests: { cpu: '1' } } }).allowFrom({ app: 'client' }));
    await new Mega8sValidation({ quotas: { cpus: 2 } }).validate(context);
    expect(context.report.toJson().violations.map((v) => [v.ruleName, v.recommendation, v.violatingConstructs])).toEqual([
      ['mega8s/quota', 'quota cpus exceeded: the output needs 3 CPUs, the limit is 2; biggest consumers: Deployment team/api (3)', []],
    ]);
    expect(() => new Mega8sValidation({ quotas: { cpus: -2 } })).toThrow('Mega8sValidation: properties: quotas.cpus -2 is not a finite number >= 0');
    expect(() => new Mega8sValidation({ cpus: 2 } as any)).toThrow('Mega8sValidation: properties: unknown option "cpus"');
  });
});
