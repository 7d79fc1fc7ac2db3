/**
 * The checks over a cdk8s App or Chart as it stands: its construct validations, then every object
 * check over all the charts' objects together (they are applied together).
 */
import { ApiObject, Chart, DependencyGraph } from 'cdk8s';
import { IConstruct } from 'constructs';
import { CheckOptions, CheckRule, Problem, checkObjects, validateCheckOptions } from './check';
import { Manifest, SynthObject } from './objects';

/**
 * The chart's own ApiObjects in cdk8s's order: the dependency graph's topology. Without any
 * dependency in the chart that topology is the construct tree's pre-order (every vertex is a root,
 * adopted in `findAll` order), which is much cheaper to get for a large chart.
 */
export function orderedApiObjects(chart: Chart, all: readonly IConstruct[] = chart.node.findAll()): ApiObject[] {
  const own = (x: unknown): x is ApiObject => x instanceof ApiObject && Chart.of(x) === chart;
  if (all.every((c) => c.node.dependencies.length === 0)) return all.filter(own);
  return new DependencyGraph(chart.node).topology().filter(own);
}

/** The objects of one chart, in the order `cdk8s synth` writes them, each with its construct path. */
export function chartObjects(chart: Chart, name: string = chart.node.path, all?: readonly IConstruct[]): SynthObject[] {
  return orderedApiObjects(chart, all).map((x) => ({ chart: name, path: x.node.path, manifest: x.toJson() as Manifest }));
}

/** Every chart under `scope` (the scope itself when it is one), in construct order. */
export function chartsOf(scope: IConstruct): Chart[] {
  return scope.node.findAll().filter((c): c is Chart => Chart.isChart(c));
}

/** The objects of every chart under `scope`, chart by chart, in the order `cdk8s synth` writes them. */
export function appObjects(scope: IConstruct): SynthObject[] {
  return chartsOf(scope).flatMap((chart) => chartObjects(chart));
}

/**
 * Every problem with the app as it would be synthesized: the failed construct validations
 * (`node.addValidation`), then each problem the object checks find, with the object and the
 * construct path that made it. An empty list means the output passes every check.
 *
 * @param scope the App (or one Chart) to check
 */
export function checkApp(scope: IConstruct, options: CheckOptions = {}): Problem[] {
  validateCheckOptions(options, 'checkApp');
  const problems: Problem[] = [];
  for (const c of scope.node.findAll()) {
    for (const message of c.node.validate()) problems.push({ rule: CheckRule.CONSTRUCT, message: `${c.node.path}: ${message}` });
  }
  return [...problems, ...checkObjects(appObjects(scope), options)];
}
