/**
 * dist/<env>/topology.svg: a picture of one environment, laid out by dagre. Namespaces are boxes;
 * Services point at the workloads they select, workloads at their claims and service accounts,
 * HorizontalPodAutoscalers at what they scale, NetworkPolicies draw who may talk to whom, RBAC
 * bindings link service accounts to roles. Many workloads of one application (a fleet) are drawn
 * as one node with a count. Deterministic: the same objects give the same bytes.
 */
import type { SynthObject } from '../../constructs/checks';
import { Layout, LayoutInput, NodeBox, cachedLayout, layoutCacheDir } from './topology-layout';
import { LabelSelector, Manifest, PodTemplate, mapSelector, podTemplateOf, selects } from '../../constructs/checks/objects';

/** More workloads (or Services) than this of one application in one namespace are drawn as one node. */
export const FLEET_THRESHOLD = 3;

export interface TopologyNode {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly namespace?: string;
  readonly count: number;
}

export interface TopologyEdge {
  readonly from: string;
  readonly to: string;
  /** `selects`, `claims`, `runs-as`, `scales`, `allows`, `binds` */
  readonly kind: string;
}

export interface Topology {
  readonly namespaces: readonly string[];
  readonly nodes: readonly TopologyNode[];
  readonly edges: readonly TopologyEdge[];
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);
const DRAWN = new Set([...WORKLOADS, 'Service', 'HorizontalPodAutoscaler', 'PersistentVolumeClaim', 'ServiceAccount', 'Role', 'ClusterRole']);
/** ipBlock CIDRs that admit every address. */
const ANYWHERE = new Set(['0.0.0.0/0', '::/0']);
const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-');

/** A workload with a pod template. */
export interface Pod {
  readonly m: Manifest;
  readonly tpl: PodTemplate;
}

/** `map.get(key)`, first set to `make()` when absent. */
function entry<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

/**
 * The look-ups topologyOf makes, answered from maps instead of a scan of every object per
 * question. Each answer is exactly the scan's: the first match in output order, names, namespaces
 * and label values compared with === (Map keys), so an object without a namespace matches only a
 * question without one. The maps are built on the first question that needs them, for what it asks
 * (one kind, one label key in one namespace), so what is never asked costs nothing.
 */
export class ManifestIndex {
  /** Every workload with a pod template, in output order. */
  readonly pods: readonly Pod[];
  /** kind -> its objects, in output order. */
  private readonly ofKind = new Map<unknown, Manifest[]>();
  /** kind -> namespace -> name -> the first such object. */
  private readonly byName = new Map<unknown, Map<unknown, Map<unknown, Manifest>>>();
  /** kind -> name -> the first such object in any namespace. */
  private readonly byNameAnywhere = new Map<unknown, Map<unknown, Manifest>>();
  /** namespace -> its pods, in output order. */
  private readonly podsIn = new Map<unknown, Pod[]>();
  /** namespace -> label key -> label value -> the pods with that value, in output order. */
  private readonly podsByLabel = new Map<unknown, Map<string, Map<unknown, Pod[]>>>();

  constructor(manifests: readonly Manifest[]) {
    const pods: Pod[] = [];
    for (const m of manifests) {
      entry(this.ofKind, m.kind, (): Manifest[] => []).push(m);
      const tpl = WORKLOADS.has(m.kind) ? podTemplateOf(m) : undefined;
      if (!tpl) continue;
      const pod: Pod = { m, tpl };
      pods.push(pod);
      entry(this.podsIn, m.metadata?.namespace, (): Pod[] => []).push(pod);
    }
    this.pods = pods;
  }

  /** The first object of this kind, namespace and name. */
  first(kind: unknown, namespace: unknown, name: unknown): Manifest | undefined {
    return entry(this.byName, kind, () => {
      const byNamespace = new Map<unknown, Map<unknown, Manifest>>();
      for (const m of this.ofKind.get(kind) ?? []) {
        const named = entry(byNamespace, m.metadata?.namespace, () => new Map<unknown, Manifest>());
        if (!named.has(m.metadata?.name)) named.set(m.metadata?.name, m);
      }
      return byNamespace;
    }).get(namespace)?.get(name);
  }

  /** The first object of this kind and name, whatever its namespace. */
  firstInAnyNamespace(kind: unknown, name: unknown): Manifest | undefined {
    return entry(this.byNameAnywhere, kind, () => {
      const named = new Map<unknown, Manifest>();
      for (const m of this.ofKind.get(kind) ?? []) if (!named.has(m.metadata?.name)) named.set(m.metadata?.name, m);
      return named;
    }).get(name);
  }

  /**
   * The pods of a namespace a selector picks, in output order. Only the pods with the rarest of its
   * matchLabels pairs are tested (every match has all of them); the selector decides.
   */
  podsSelected(namespace: unknown, selector: LabelSelector | undefined): Pod[] {
    if (!selector) return [];
    const inNamespace = this.podsIn.get(namespace) ?? [];
    let candidates = inNamespace;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
      if (!candidates.length) break;
      const byValue = entry(entry(this.podsByLabel, namespace, () => new Map<string, Map<unknown, Pod[]>>()), k, () => {
        const pods = new Map<unknown, Pod[]>();
        for (const p of inNamespace) entry(pods, p.tpl.labels[k], (): Pod[] => []).push(p);
        return pods;
      });
      const having = byValue.get(v) ?? [];
      if (having.length < candidates.length) candidates = having;
    }
    return candidates.filter((p) => selects(selector, p.tpl.labels));
  }
}

/** The graph of one environment's objects (what the SVG draws). */
export function topologyOf(objects: readonly SynthObject[]): Topology {
  const manifests = objects.map((o) => o.manifest);
  const namespaces = manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name!).sort();
  // Group key: kind, namespace, application name (and Service type): a fleet shares one.
  const appOf = (m: any): string => m.metadata?.labels?.['app.kubernetes.io/name'] ?? m.metadata?.name ?? '';
  const groupKey = (m: any) => `${m.kind}|${m.metadata?.namespace ?? ''}|${appOf(m)}|${m.kind === 'Service' ? m.spec?.type ?? 'ClusterIP' : ''}`;
  const sizes = new Map<string, number>();
  for (const m of manifests) {
    if (!DRAWN.has(m.kind)) continue;
    const g = groupKey(m);
    sizes.set(g, (sizes.get(g) ?? 0) + 1);
  }
  const ids = new Map<any, string>();
  const nodeIdOf = (m: any) => {
    let id = ids.get(m);
    if (id === undefined) {
      id = (sizes.get(groupKey(m)) ?? 0) > FLEET_THRESHOLD
        ? `fleet-${slug(m.kind)}-${slug(m.metadata?.namespace ?? '')}-${slug(appOf(m))}${m.kind === 'Service' ? `-${slug(m.spec?.type ?? 'ClusterIP')}` : ''}`
        : `${slug(m.kind)}-${slug(m.metadata?.namespace ?? '')}-${slug(m.metadata?.name)}`;
      ids.set(m, id);
    }
    return id;
  };
  const nodes = new Map<string, TopologyNode>();
  const addNode = (m: any) => {
    const id = nodeIdOf(m);
    const n = sizes.get(groupKey(m)) ?? 1;
    if (!nodes.has(id)) {
      const fleet = n > FLEET_THRESHOLD;
      const type = m.kind === 'Service' && m.spec?.type && m.spec.type !== 'ClusterIP' ? ` (${m.spec.type})` : '';
      nodes.set(id, { id, kind: m.kind, label: fleet ? `${appOf(m)} ×${n}${type}` : `${m.metadata.name}${type}`, namespace: m.metadata?.namespace, count: fleet ? n : 1 });
    }
    return id;
  };
  const edges = new Map<string, TopologyEdge>();
  const addEdge = (from: string, to: string, kind: string) => {
    if (from !== to) edges.set(`${from}>${to}>${kind}`, { from, to, kind });
  };

  const index = new ManifestIndex(manifests);
  // Kubernetes labels every namespace with its name; NetworkPolicy namespaceSelectors match on that.
  const namespaceLabels = manifests.filter((m) => m.kind === 'Namespace')
    .map((m): [string, Record<string, string>] => [m.metadata.name!, { ...m.metadata.labels, 'kubernetes.io/metadata.name': m.metadata.name! }]);
  // The source of traffic a rule admits from outside the pods drawn: anywhere (a rule with no
  // `from`, or an ipBlock of 0.0.0.0/0 or ::/0 with no exceptions), or the CIDRs of its ipBlocks.
  const outsideNode = (blocks: readonly { cidr: string; except?: readonly string[] }[]) => {
    const ranges = [...new Set(blocks.filter((b) => !ANYWHERE.has(b.cidr) || b.except?.length)
      .map((b) => `${b.cidr}${b.except?.length ? ` except ${[...b.except].sort().join(', ')}` : ''}`))].sort();
    const anywhere = !blocks.length || blocks.some((b) => ANYWHERE.has(b.cidr) && !b.except?.length);
    const all = anywhere ? ['anywhere', ...ranges] : ranges;
    const id = `outside-${all.map(slug).join('_')}`;
    if (!nodes.has(id)) nodes.set(id, { id, kind: 'Outside', label: all.join(', '), count: 1 });
    return id;
  };

  for (const { m, tpl } of index.pods) {
    const w = addNode(m);
    for (const c of m.spec?.volumeClaimTemplates ?? []) {
      const id = `claim-${slug(m.metadata?.namespace ?? '')}-${slug(String(m.metadata.name))}-${slug(c.metadata?.name)}`;
      if (!nodes.has(id)) nodes.set(id, { id, kind: 'PersistentVolumeClaim', label: `${c.metadata?.name}-${m.metadata.name}-* ×${m.spec?.replicas ?? 1}`, namespace: m.metadata?.namespace, count: m.spec?.replicas ?? 1 });
      addEdge(w, id, 'claims');
    }
    for (const v of tpl.spec.volumes ?? []) {
      const claim = index.first('PersistentVolumeClaim', m.metadata?.namespace, v.persistentVolumeClaim?.claimName);
      if (claim) addEdge(w, addNode(claim), 'claims');
    }
    const sa = index.first('ServiceAccount', m.metadata?.namespace, tpl.spec.serviceAccountName);
    if (sa) addEdge(w, addNode(sa), 'runs-as');
  }
  for (const m of manifests) {
    const ns = m.metadata?.namespace;
    if (m.kind === 'Service') {
      const s = addNode(m);
      for (const p of index.podsSelected(ns, mapSelector(m.spec?.selector))) addEdge(s, nodeIdOf(p.m), 'selects');
    } else if (m.kind === 'HorizontalPodAutoscaler') {
      const target = index.first(m.spec?.scaleTargetRef?.kind, ns, m.spec?.scaleTargetRef?.name);
      const h = addNode(m);
      if (target) addEdge(h, addNode(target), 'scales');
    } else if (m.kind === 'NetworkPolicy') {
      const targets = index.podsSelected(ns, m.spec?.podSelector ?? {});
      if (!targets.length) continue;
      for (const rule of m.spec?.ingress ?? []) {
        const from: any[] = rule.from ?? [];
        const sources = new Set<string>();
        // No `from` (or an empty one): any source, inside the cluster or outside it.
        if (!from.length) sources.add(outsideNode([]));
        const blocks = from.filter((peer) => peer.ipBlock).map((peer) => peer.ipBlock);
        if (blocks.length) sources.add(outsideNode(blocks));
        for (const peer of from) {
          if (peer.ipBlock) continue;
          // A namespaceSelector picks namespaces by their labels (kubernetes.io/metadata.name is
          // always one); without one, the policy's own namespace. The podSelector then picks pods there.
          const inNamespaces = peer.namespaceSelector
            ? namespaceLabels.filter(([, l]) => selects(peer.namespaceSelector, l)).map(([n]) => n)
            : [ns];
          for (const n of inNamespaces) for (const src of index.podsSelected(n, peer.podSelector ?? {})) sources.add(nodeIdOf(src.m));
        }
        for (const s of sources) for (const t of targets) addEdge(s, nodeIdOf(t.m), 'allows');
      }
    } else if (m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding') {
      const role = m.roleRef?.kind === 'ClusterRole' ? index.firstInAnyNamespace('ClusterRole', m.roleRef?.name) : index.first(m.roleRef?.kind, ns, m.roleRef?.name);
      if (!role) continue;
      for (const s of m.subjects ?? []) {
        const sa = s.kind === 'ServiceAccount' ? index.first('ServiceAccount', s.namespace ?? ns, s.name) : undefined;
        if (sa) addEdge(addNode(sa), addNode(role), 'binds');
      }
    }
  }
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const edgeList = [...edges.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  return { namespaces, nodes: [...nodes.values()].sort(byId), edges: edgeList };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (n: number) => Math.round(n * 10) / 10;
const COLORS: Record<string, string> = {
  Service: '#dbeafe', Deployment: '#dcfce7', StatefulSet: '#fef9c3', DaemonSet: '#fce7f3', Job: '#f3e8ff', CronJob: '#f3e8ff',
  PersistentVolumeClaim: '#ffedd5', Outside: '#fef2f2', HorizontalPodAutoscaler: '#e0f2fe', ServiceAccount: '#f1f5f9', Role: '#fee2e2', ClusterRole: '#fee2e2',
};
const EDGE_STYLE: Record<string, string> = { allows: 'stroke="#16a34a" stroke-dasharray="5 3"', binds: 'stroke="#dc2626"', scales: 'stroke="#0284c7" stroke-dasharray="2 2"' };

/** What dagre is given for a topology: namespaces are boxes (compound nodes) around their objects. */
export function topologyLayoutInput(t: Topology): LayoutInput {
  return {
    graph: { rankdir: 'LR', nodesep: 16, ranksep: 48, marginx: 16, marginy: 40 },
    nodes: [
      ...t.namespaces.map((ns) => ({ id: `ns-${slug(ns)}`, label: { label: ns, paddingTop: 28 } })),
      ...t.nodes.map((n) => ({
        id: n.id,
        label: { width: Math.max(120, 7 * Math.max(n.label.length, n.kind.length) + 20), height: 40 },
        ...(n.namespace && t.namespaces.includes(n.namespace) ? { parent: `ns-${slug(n.namespace)}` } : {}),
      })),
    ],
    edges: t.edges.map((e) => ({ v: e.from, w: e.to })),
  };
}

/**
 * The SVG of one environment's objects. `cacheDir`: where laid-out graphs are remembered (see
 * topology-layout.ts; null: always lay out).
 */
export function topologySvg(objects: readonly SynthObject[], title: string, cacheDir: string | null = layoutCacheDir()): string {
  const t = topologyOf(objects);
  const layout: Layout = cachedLayout(topologyLayoutInput(t), cacheDir);
  // dagre gives every node x, y, width and height, except a namespace box without members (no width: not drawn).
  const namespaceBox = (i: number) => layout.nodes[i] as Required<NodeBox> | null;
  const nodeBox = (i: number) => layout.nodes[t.namespaces.length + i] as Required<NodeBox>;
  const width = r1((layout.width ?? 0) + 0);
  const height = r1((layout.height ?? 0) + 0);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#475569"/></marker></defs>',
    `<text x="16" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const [i, ns] of t.namespaces.entries()) {
    const n = namespaceBox(i);
    if (!n || !n.width) continue;
    out.push(`<g class="namespace" id="ns-${esc(slug(ns))}"><rect x="${r1(n.x - n.width / 2)}" y="${r1(n.y - n.height / 2)}" width="${r1(n.width)}" height="${r1(n.height)}" rx="6" fill="none" stroke="#94a3b8"/><text x="${r1(n.x - n.width / 2 + 8)}" y="${r1(n.y - n.height / 2 + 16)}" font-weight="bold">namespace ${esc(ns)}</text></g>`);
  }
  for (const [j, e] of t.edges.entries()) {
    const pts = layout.edges[j] ?? [];
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'} ${r1(x)} ${r1(y)}`).join(' ');
    out.push(`<path class="edge" id="edge-${esc(e.from)}--${esc(e.to)}" data-from="${esc(e.from)}" data-to="${esc(e.to)}" data-kind="${e.kind}" d="${d}" fill="none" ${EDGE_STYLE[e.kind] ?? 'stroke="#475569"'} marker-end="url(#arrow)"><title>${e.kind}</title></path>`);
  }
  for (const [i, n] of t.nodes.entries()) {
    const p = nodeBox(i);
    const [x, y] = [r1(p.x - p.width / 2), r1(p.y - p.height / 2)];
    out.push(`<g class="node" id="${esc(n.id)}" data-kind="${n.kind}"${n.namespace ? ` data-namespace="${esc(n.namespace)}"` : ''} data-count="${n.count}"><rect x="${x}" y="${y}" width="${r1(p.width)}" height="${r1(p.height)}" rx="4" fill="${COLORS[n.kind] ?? '#ffffff'}" stroke="#334155"${n.count > 1 ? ' stroke-width="2.5"' : ''}/><text x="${r1(p.x)}" y="${r1(y + 15)}" text-anchor="middle" fill="#475569">${esc(n.kind)}</text><text x="${r1(p.x)}" y="${r1(y + 31)}" text-anchor="middle">${esc(n.label)}</text></g>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
