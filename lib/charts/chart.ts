import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Environment, Settings } from '../env';

/**
 * One system the project ships. `build` composes constructs into one cdk8s Chart for an
 * environment; it reads no files and no process environment: everything comes from `env`.
 * The chart's output lands in `dist/<env>/<name>.k8s.yaml`.
 */
export interface ChartDefinition {
  /** File name and id of the chart: a DNS-1123 label. */
  readonly name: string;
  readonly build: (scope: Construct, env: Environment) => Chart;
  /**
   * The env-file keys this chart reads, declared in its own file (`defineSettings`). The loader
   * validates them for every environment; the chart reads them back with `settings.of(env)`.
   */
  readonly settings?: Settings<object>;
}
