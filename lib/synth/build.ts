import { ApiObject, App, Chart, DependencyGraph } from 'cdk8s';
import { Environment } from '../env';
import { ChartDefinition } from '../charts/chart';
import { Manifest, SynthObject } from './objects';

export interface BuiltChart {
  readonly name: string;
  readonly objects: readonly SynthObject[];
}

/** Raised for construct errors (a bad prop, a failed cdk8s validation) while building. */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

/**
 * The objects of one chart, in the order `cdk8s synth` writes them (dependencies first, then
 * construct order), each with the construct path that made it.
 */
export function chartObjects(name: string, chart: Chart): SynthObject[] {
  const all = chart.node.findAll();
  const errors: string[] = [];
  for (const c of all) for (const e of c.node.validate()) errors.push(`${c.node.path}: ${e}`);
  if (errors.length) throw new BuildError(errors.join('\n'));
  return orderedApiObjects(chart, all).map((x) => ({ chart: name, path: x.node.path, manifest: x.toJson() as Manifest }));
}

/**
 * The chart's own ApiObjects in cdk8s's order: the dependency graph's topology. Without any
 * dependency in the chart that topology is the construct tree's pre-order (every vertex is a root,
 * adopted in `findAll` order), which is much cheaper to get for a large chart; build.test.ts
 * compares the two.
 */
export function orderedApiObjects(chart: Chart, all = chart.node.findAll()): ApiObject[] {
  const own = (x: unknown): x is ApiObject => x instanceof ApiObject && Chart.of(x) === chart;
  if (all.every((c) => c.node.dependencies.length === 0)) return all.filter(own);
  return new DependencyGraph(chart.node).topology().filter(own);
}

/** Builds every chart for one environment in a fresh cdk8s App. */
export function buildEnvironment(env: Environment, charts: readonly ChartDefinition[]): BuiltChart[] {
  const app = new App();
  return charts.map((def) => {
    let chart: Chart;
    try {
      chart = def.build(app, env);
    } catch (e: any) {
      throw new BuildError(`${env.name}: chart ${def.name}: ${e?.message ?? e}`);
    }
    try {
      return { name: def.name, objects: chartObjects(def.name, chart) };
    } catch (e: any) {
      throw new BuildError(`${env.name}: chart ${def.name}: ${e?.message ?? e}`);
    }
  });
}
