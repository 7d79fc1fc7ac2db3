/**
 * The page's model, free of the DOM so that it is tested in node: Kubernetes pods (as the list and
 * watch of /api/v1/namespaces/<ns>/pods return them) reduced to what the page shows, kept current
 * by watch events, and the newline-delimited JSON framing of a watch stream.
 */

/** The fields of a v1 Pod the page reads. */
export interface KubePod {
  metadata: {
    name: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: { containers?: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      name: string;
      image?: string;
      ready?: boolean;
      restartCount?: number;
      state?: { waiting?: { reason?: string }; terminated?: { reason?: string } };
    }[];
  };
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubePod | { kind?: string; code?: number; message?: string; metadata?: { resourceVersion?: string } };
}

export interface PodView {
  readonly name: string;
  readonly experiment: string | undefined;
  readonly ip: string;
  /** The image tag of the experiment's container: the version incver rolls. */
  readonly version: string;
  readonly restarts: number;
  readonly ready: boolean;
  /** Short state for a person: Running, Pending, Terminating, CrashLoopBackOff, … */
  readonly state: string;
  readonly terminating: boolean;
}

/** The programs of kube-alive, as the pods' labels name them. */
export const PROGRAMS: readonly string[] = ['getip', 'healthcheck', 'cpuhog', 'incver', 'frontend'];

/** The labels that may name a pod's program, in this order. */
export const PROGRAM_LABELS: readonly string[] = ['app.kubernetes.io/name', 'app.kubernetes.io/component', 'app'];

/**
 * The program a pod runs: the first of its PROGRAM_LABELS whose value is a kube-alive program
 * (so both `name: getip` and `name: kube-alive, component: getip` work).
 */
export function experimentOf(pod: KubePod): string | undefined {
  const labels = pod.metadata.labels ?? {};
  return PROGRAM_LABELS.map((key) => labels[key]).find((value) => value !== undefined && PROGRAMS.includes(value));
}

export function tagOf(image: string | undefined): string {
  if (!image) return '?';
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1, at + 1 + 19);
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : 'latest';
}

export function viewOf(pod: KubePod): PodView {
  const experiment = experimentOf(pod);
  const containers = pod.spec?.containers ?? [];
  const main = containers.find((c) => c.name === experiment) ?? containers[0];
  const statuses = pod.status?.containerStatuses ?? [];
  const restarts = statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const waiting = statuses.map((s) => s.state?.waiting?.reason ?? s.state?.terminated?.reason).find((r) => r !== undefined);
  const state = terminating ? 'Terminating' : waiting ?? pod.status?.phase ?? 'Pending';
  return {
    name: pod.metadata.name,
    experiment,
    ip: pod.status?.podIP ?? '',
    version: tagOf(main?.image),
    restarts,
    ready: ready && !terminating,
    state,
    terminating,
  };
}

/** The pods of the namespace as the page knows them, updated by a list and then watch events. */
export class PodStore {
  private readonly pods = new Map<string, PodView>();
  /** The resourceVersion to watch from: the list's, then each event's. */
  resourceVersion = '';

  /** Replaces everything with a list answer. */
  replace(items: KubePod[], resourceVersion: string): void {
    this.pods.clear();
    for (const pod of items) this.pods.set(pod.metadata.name, viewOf(pod));
    this.resourceVersion = resourceVersion;
  }

  /**
   * Applies one watch event; returns 'changed', 'unchanged', or 'expired' when the watch must start
   * again from a fresh list (410 Gone: the resourceVersion is too old).
   */
  apply(event: WatchEvent): 'changed' | 'unchanged' | 'expired' {
    const object = event.object as KubePod & { code?: number };
    if (event.type === 'ERROR') return object.code === 410 ? 'expired' : 'unchanged';
    const rv = object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return 'unchanged';
    if (event.type === 'DELETED') return this.pods.delete(object.metadata.name) ? 'changed' : 'unchanged';
    this.pods.set(object.metadata.name, viewOf(object));
    return 'changed';
  }

  /** The pods of one experiment, by name. */
  of(experiment: string): PodView[] {
    return [...this.pods.values()].filter((p) => p.experiment === experiment).sort((a, b) => a.name.localeCompare(b.name));
  }

  get size(): number {
    return this.pods.size;
  }
}

/** Splits a watch stream into events: complete lines are parsed, the unfinished tail is kept. */
export class LineSplitter {
  private rest = '';

  push(text: string): WatchEvent[] {
    this.rest += text;
    const lines = this.rest.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as WatchEvent);
  }
}
