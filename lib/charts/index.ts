import { ChartDefinition } from './chart';
import { fourhundredChart } from './fourhundred';
import { kubeAliveChart } from './kube-alive';
import { loadtestChart } from './loadtest';
import { preemptibleChart } from './preemptible';
import { shippyChart } from './shippy';
import { todoApiChart } from './todo-api';

export { ChartDefinition } from './chart';

/** Every chart the project ships, in output order. Each lands in dist/<env>/<name>.k8s.yaml. */
export const CHARTS: readonly ChartDefinition[] = [
  fourhundredChart,
  shippyChart,
  preemptibleChart,
  kubeAliveChart,
  loadtestChart,
  todoApiChart,
];
