import { App, Chart } from 'cdk8s';
import type { SynthObject } from '../../constructs/checks';
import { chartObjects as objectsOf, orderedApiObjects } from '../../constructs/checks/app';
import { Environment } from '../env';
import { ChartDefinition } from '../charts/chart';

export { orderedApiObjects };

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
 * construct order), each with the construct path that made it; throws BuildError when a construct
 * validation fails.
 */
export function chartObjects(name: string, chart: Chart): SynthObject[] {
  const all = chart.node.findAll();
  const errors: string[] = [];
  for (const c of all) for (const e of c.node.validate()) errors.push(`${c.node.path}: ${e}`);
  if (errors.length) throw new BuildError(errors.join('\n'));
  return objectsOf(chart, name, all);
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
