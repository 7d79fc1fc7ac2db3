/** The diff as text (a terminal), markdown (a pull request comment) or JSON (tools). */
import { Diff, ObjectChange } from './compare';

export type Format = 'text' | 'markdown' | 'json';
/** What a GitHub pull request comment holds, less room for a header. */
export const MARKDOWN_LIMIT = 64_000;
/** Risks of one kind listed in markdown before the rest are counted. */
export const RISKS_SHOWN = 25;
export const FORMATS: readonly Format[] = ['text', 'markdown', 'json'];

const value = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
const line = (f: { field: string; old?: unknown; new?: unknown }) => `${f.field}: ${value(f.old)} -> ${value(f.new)}`;
const head = (c: ObjectChange) => (c.kind === 'renamed' ? `renamed ${c.from!.object} -> ${c.object} (${c.path})` : `${c.kind} ${c.object} (${c.path})`);

function groups(diff: Diff): Map<string, Map<string, ObjectChange[]>> {
  const out = new Map<string, Map<string, ObjectChange[]>>();
  for (const c of diff.changes) {
    const env = out.get(c.env) ?? new Map<string, ObjectChange[]>();
    env.set(c.chart, [...(env.get(c.chart) ?? []), c]);
    out.set(c.env, env);
  }
  return out;
}

const count = (cs: readonly ObjectChange[], k: string) => cs.filter((c) => c.kind === k).length;

export function formatDiff(diff: Diff, format: Format, base: string): string {
  if (format === 'json') return JSON.stringify({ base, ...diff }, null, 2) + '\n';
  const out: string[] = [];
  if (format === 'text') {
    if (!diff.changes.length) return `no changes against ${base}\n`;
    out.push(`changes against ${base}:`, '');
    if (diff.risks.length) {
      out.push('RISKS');
      for (const r of diff.risks) out.push(`  [${r.kind}] ${r.env}/${r.chart}: ${r.object} (${r.path}): ${r.message}`);
      out.push('');
    }
    for (const [env, charts] of groups(diff)) {
      for (const [chart, cs] of charts) {
        out.push(`${env} / ${chart}: ${count(cs, 'added')} added, ${count(cs, 'removed')} removed, ${count(cs, 'changed')} changed, ${count(cs, 'renamed')} renamed`);
        for (const c of cs) {
          out.push(`  ${head(c)}`);
          for (const f of c.fields) out.push(`      ${line(f)}`);
        }
      }
    }
    for (const [env, n] of Object.entries(diff.loadBalancerDelta)) out.push(`${env}: LoadBalancers ${n > 0 ? '+' : ''}${n} (forwarding rules and target pools)`);
    return out.join('\n') + '\n';
  }
  // markdown
  out.push(`### mega8s diff against \`${base}\``, '');
  if (!diff.changes.length) return out.concat('No changes.', '').join('\n');
  out.push('| environment | chart | added | removed | changed | renamed |', '| --- | --- | ---: | ---: | ---: | ---: |');
  for (const [env, charts] of groups(diff)) {
    for (const [chart, cs] of charts) out.push(`| ${env} | ${chart} | ${count(cs, 'added')} | ${count(cs, 'removed')} | ${count(cs, 'changed')} | ${count(cs, 'renamed')} |`);
  }
  out.push('');
  const lb = Object.entries(diff.loadBalancerDelta);
  if (lb.length) out.push(`LoadBalancer quota delta: ${lb.map(([env, n]) => `${env} ${n > 0 ? '+' : ''}${n}`).join(', ')}`, '');
  if (diff.risks.length) {
    out.push('#### Risks', '');
    // Each kind of risk shows its first RISKS_SHOWN; a fleet's 400 image changes are one line more.
    const shown = new Map<string, number>();
    for (const r of diff.risks) {
      const n = (shown.get(r.kind) ?? 0) + 1;
      shown.set(r.kind, n);
      if (n <= RISKS_SHOWN) out.push(`- **${r.kind}** ${r.env}/${r.chart}: \`${r.object}\` (\`${r.path}\`): ${r.message.replace(/\|/g, '\\|')}`);
    }
    for (const [kind, n] of shown) if (n > RISKS_SHOWN) out.push(`- … and ${n - RISKS_SHOWN} more **${kind}** risks`);
    out.push('');
  }
  // A pull request comment holds 65,536 characters: the details share what is left, chart by chart.
  const chartCount = [...groups(diff).values()].reduce((n, charts) => n + charts.size, 0);
  const budget = Math.max(2_000, Math.floor((MARKDOWN_LIMIT - out.join('\n').length) / Math.max(chartCount, 1)) - 200);
  for (const [env, charts] of groups(diff)) {
    for (const [chart, cs] of charts) {
      out.push('<details>', `<summary>${env} / ${chart}: ${cs.length} object(s)</summary>`, '', '```');
      const body = cs.flatMap((c) => [head(c), ...c.fields.map((f) => `    ${line(f)}`)]);
      let used = 0;
      let shown = 0;
      for (const l of body) {
        if (used + l.length + 1 > budget) break;
        out.push(l);
        used += l.length + 1;
        shown++;
      }
      if (shown < body.length) out.push(`… ${body.length - shown} more line(s): run \`npm run diff -- --env ${env}\` for all of them`);
      out.push('```', '', '</details>', '');
    }
  }
  return out.join('\n');
}
