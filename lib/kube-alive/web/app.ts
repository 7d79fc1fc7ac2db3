/// <reference lib="dom" />
/**
 * The kube-alive page: one card per experiment with its pods live (a list, then a watch stream
 * through the frontend's proxy), which pod answered, restarts, versions and replica counts, and the
 * buttons that drive each experiment.
 */
import { LineSplitter, PodStore, PodView, WatchEvent } from './pods';

interface Answer {
  pod?: string;
  ip?: string;
  healthy?: boolean;
  killed?: boolean;
  busyMs?: number;
  version?: string;
  from?: string;
  to?: string;
  error?: string;
}

interface Card {
  readonly name: string;
  readonly pods: HTMLUListElement;
  readonly replicas: HTMLElement;
  readonly last: HTMLOutputElement;
  /** Answers per pod since the page opened. */
  readonly hits: Map<string, number>;
  /** Pods that said they are infected (healthcheck), with their restart count at that time. */
  readonly infected: Map<string, number>;
  answered?: string;
}

const store = new PodStore();
const cards = new Map<string, Card>();
let namespace = '';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function setStatus(kind: 'live' | 'connecting' | 'broken', text: string): void {
  const status = document.getElementById('status')!;
  status.className = `status ${kind}`;
  status.textContent = text;
}

// ---- the experiments' cards ---------------------------------------------------------------------

async function call(card: Card, method: 'GET' | 'POST', path: string): Promise<Answer | undefined> {
  try {
    const res = await fetch(path, { method, cache: 'no-store' });
    const answer = (await res.json()) as Answer;
    if (!res.ok) throw new Error(answer.error ?? `${res.status}`);
    if (answer.pod) {
      card.answered = answer.pod;
      card.hits.set(answer.pod, (card.hits.get(answer.pod) ?? 0) + 1);
    }
    return answer;
  } catch (err) {
    show(card, `${method} ${path}: ${(err as Error).message}`, true);
    return undefined;
  } finally {
    renderCard(card);
  }
}

function show(card: Card, text: string, error = false): void {
  card.last.textContent = text;
  card.last.classList.toggle('error', error);
}

/** A button; while the promise its handler returns is pending, it is disabled (no double rolls). */
function button(label: string, onClick: (b: HTMLButtonElement) => void | Promise<void>, className = ''): HTMLButtonElement {
  const b = el('button', className, label);
  b.type = 'button';
  b.addEventListener('click', () => {
    const pending = onClick(b);
    if (!pending) return;
    b.disabled = true;
    void pending.finally(() => { b.disabled = false; });
  });
  return b;
}

function makeCard(name: string, what: string, lead: string, actions: (card: Card) => HTMLButtonElement[]): Card {
  const section = el('section', 'card');
  section.dataset.experiment = name;
  const header = el('header');
  const replicas = el('span', 'replicas');
  replicas.dataset.testid = 'replicas';
  header.append(el('h2', '', name), el('span', 'what', what), replicas);
  const pods = el('ul', 'pods');
  const last = el('output', 'last');
  const card: Card = { name, pods, replicas, last, hits: new Map(), infected: new Map() };
  const bar = el('div', 'actions');
  bar.append(...actions(card));
  section.append(header, el('p', 'lead', lead), pods, bar, last);
  document.getElementById('experiments')!.append(section);
  cards.set(name, card);
  return card;
}

function podItem(card: Card, pod: PodView): HTMLLIElement {
  const item = el('li', 'pod');
  item.dataset.pod = pod.name;
  const infectedAt = card.infected.get(pod.name);
  if (infectedAt !== undefined && pod.restarts > infectedAt) card.infected.delete(pod.name);
  const infected = card.infected.has(pod.name);
  item.classList.toggle('ready', pod.ready);
  item.classList.toggle('terminating', pod.terminating);
  item.classList.toggle('failing', infected || (!pod.ready && !pod.terminating && pod.state !== 'Pending' && pod.state !== 'Running'));
  item.classList.toggle('answered', card.answered === pod.name);
  const name = el('span', 'name', pod.name);
  name.title = pod.name;
  const meta = el('span', 'meta');
  meta.append(`${pod.ip || 'no IP'} · tag ${pod.version} · ${pod.state}`);
  const restarts = el('span', pod.restarts > 0 ? 'badge bad' : 'badge', `↻ ${pod.restarts}`);
  restarts.title = 'container restarts';
  restarts.dataset.testid = 'restarts';
  meta.append(restarts);
  if (infected) meta.append(el('span', 'badge bad', 'infected'));
  const hits = card.hits.get(pod.name);
  if (hits) meta.append(el('span', 'badge hits', `${hits}×`));
  const info = el('span', 'info');
  info.append(name, meta);
  item.append(el('span', 'dot'), info);
  return item;
}

function renderCard(card: Card): void {
  const pods = store.of(card.name);
  const live = pods.filter((p) => !p.terminating);
  const ready = live.filter((p) => p.ready).length;
  card.replicas.textContent = `${ready}/${live.length} ready`;
  if (pods.length === 0) {
    card.pods.replaceChildren(el('li', 'empty', 'no pods'));
  } else {
    card.pods.replaceChildren(...pods.map((p) => podItem(card, p)));
  }
}

function renderAll(): void {
  for (const card of cards.values()) renderCard(card);
}

function buildCards(): void {
  makeCard('getip', 'load balancing', 'Four replicas behind one Service: every answer names the pod that served it.', (card) => [
    button('Ask once', async () => {
      const a = await call(card, 'GET', '/getip');
      if (a) show(card, `answered by ${a.pod} (${a.ip})`);
    }),
    button('Ask 20 times', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => call(card, 'GET', '/getip')));
      const by = new Map<string, number>();
      for (const a of answers) if (a?.pod) by.set(a.pod, (by.get(a.pod) ?? 0) + 1);
      show(card, `20 requests, ${by.size} pods answered: ${[...by].map(([p, n]) => `${p.split('-').pop()} ${n}×`).join(', ')}`);
    }),
  ]);
  makeCard('healthcheck', 'self-healing', 'Infect a pod: its liveness probe fails and the kubelet restarts the container. Kill ends it at once.', (card) => [
    button('Infect', async () => {
      const a = await call(card, 'POST', '/healthcheck/infect');
      if (!a?.pod) return;
      const pod = store.of('healthcheck').find((p) => p.name === a.pod);
      card.infected.set(a.pod, pod?.restarts ?? 0);
      show(card, `${a.pod} is infected: /healthz answers 500; watch its restart count`);
      renderCard(card);
    }, 'danger'),
    button('Cure', async () => {
      const a = await call(card, 'POST', '/healthcheck/cure');
      if (!a?.pod) return;
      card.infected.delete(a.pod);
      show(card, `${a.pod} is healthy again`);
      renderCard(card);
    }),
    button('Kill', async () => {
      const a = await call(card, 'POST', '/healthcheck/kill');
      if (a?.pod) show(card, `${a.pod} exits now; the kubelet restarts it`);
    }, 'danger'),
  ]);
  let loading: number | undefined;
  let sent = 0;
  makeCard('cpuhog', 'autoscaling', 'Each request keeps a CPU busy; under load the HorizontalPodAutoscaler adds pods.', (card) => [
    button('Burn 1 s', async () => {
      const a = await call(card, 'GET', '/cpuhog?ms=1000');
      if (a) show(card, `${a.pod} was busy for ${a.busyMs} ms`);
    }),
    button('Load for 2 min', (b) => {
      if (loading !== undefined) {
        loading = undefined;
        b.classList.remove('on');
        b.textContent = 'Load for 2 min';
        show(card, `load stopped after ${sent} requests`);
        return;
      }
      const run = Date.now();
      loading = run;
      sent = 0;
      b.classList.add('on');
      b.textContent = 'Stop load';
      const worker = async (): Promise<void> => {
        while (loading === run && Date.now() - run < 120_000) {
          await call(card, 'GET', '/cpuhog?ms=1000');
          sent++;
          show(card, `load: ${sent} requests so far`);
        }
        if (loading === run) b.click();
      };
      for (let i = 0; i < 4; i++) void worker();
    }),
  ]);
  makeCard('incver', 'rolling update', 'It patches its own Deployment to the next image tag; watch old pods give way to new ones.', (card) => [
    button('Which version?', async () => {
      const a = await call(card, 'GET', '/incver/');
      if (a) show(card, `${a.pod} runs version ${a.version}`);
    }),
    button('Roll to next version', async () => {
      const a = await call(card, 'POST', '/incver/next');
      if (a) show(card, `${a.pod} rolled the Deployment: ${a.from} → ${a.to}`);
    }),
  ]);
}

// ---- the pods: a list, then a watch ------------------------------------------------------------

function podsUrl(query: string): string {
  return `/api/v1/namespaces/${namespace}/pods${query}`;
}

async function list(): Promise<void> {
  const res = await fetch(podsUrl(''), { cache: 'no-store' });
  if (!res.ok) throw new Error(`pod list: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { items: Parameters<PodStore['replace']>[0]; metadata: { resourceVersion: string } };
  store.replace(body.items, body.metadata.resourceVersion);
  renderAll();
}

/** Follows the watch until it ends; returns true when the page must list again (410 Gone). */
async function watch(): Promise<boolean> {
  const res = await fetch(podsUrl(`?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(store.resourceVersion)}`), { cache: 'no-store' });
  if (!res.ok || !res.body) throw new Error(`pod watch: ${res.status}`);
  setStatus('live', `live: watching the pods of ${namespace}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const lines = new LineSplitter();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    let changed = false;
    for (const event of lines.push(value) as WatchEvent[]) {
      const result = store.apply(event);
      if (result === 'expired') {
        await reader.cancel();
        return true;
      }
      changed ||= result === 'changed';
    }
    if (changed) renderAll();
  }
}

async function follow(): Promise<void> {
  let mustList = true;
  for (;;) {
    try {
      if (mustList) await list();
      mustList = await watch();
      setStatus('connecting', 'watch ended; resuming…');
    } catch (err) {
      setStatus('broken', `${(err as Error).message}; retrying…`);
      mustList = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function start(): Promise<void> {
  const config = (await (await fetch('/config.json', { cache: 'no-store' })).json()) as { namespace: string };
  namespace = config.namespace;
  document.getElementById('namespace')!.textContent = namespace;
  buildCards();
  renderAll();
  await follow();
}

start().catch((err: Error) => setStatus('broken', err.message));
