import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Environment } from '../env';

/**
 * One system the project ships. `build` composes constructs into one cdk8s Chart for an
 * environment; it reads no files and no process environment: everything comes from `env`.
 * The chart's output lands in `dist/<env>/<name>.k8s.yaml`.
 */
export interface ChartDefinition {
  /** File name and id of the chart: a DNS-1123 label. */
  readonly name: string;
  readonly build: (scope: Construct, env: Environment) => Chart;
}
