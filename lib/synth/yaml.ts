/**
 * YAML for JSON-shaped Kubernetes objects.
 *
 * Written here rather than taken from the `yaml` package because serialization dominated synth
 * time (bench/: the `yaml` package ~0.5 ms an object, js-yaml ~0.12 ms, this ~0.01 ms). It only
 * has to emit, and only JSON data (objects, arrays, strings, finite numbers, booleans, null), so it
 * is small; yaml.test.ts proves that the `yaml` package parses everything it writes back to the
 * same value, for generated and hand-picked tricky inputs.
 *
 * Style: two-space indentation, block sequences indented under their key (kubectl's style), keys
 * in the order given, plain scalars only where YAML 1.1 and 1.2 both read a string back, double
 * quotes otherwise, and block literals for multi-line strings.
 */

// A plain scalar must not be read back as anything but this string, in YAML 1.1 (kubectl's
// go-yaml v2 reads `yes`, `on`, `0777` as bool/int) or 1.2. Allow only a safe alphabet, then
// exclude every spelling of the special values and anything that looks like a number or date.
const SAFE_PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./@:+-]*$/;
const SPECIAL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;
const NUMBERISH = /^[-+]?(?:[0-9][0-9_:]*(?:\.[0-9_]*)?|\.[0-9_]+|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+)(?:[eE][-+]?[0-9]+)?$/;
const DATEISH = /^\d{4}-\d{1,2}-\d{1,2}/;

function isPlain(s: string): boolean {
  return s.length > 0 && SAFE_PLAIN.test(s) && !SPECIAL.test(s) && !NUMBERISH.test(s) && !DATEISH.test(s) && !s.endsWith(':');
}

// Manifests repeat the same keys and values thousands of times; deciding how to write a string is
// the costliest step, so decisions are remembered (bounded, so a huge output cannot grow it forever).
const SCALARS = new Map<string, string>();
const SCALAR_CACHE_LIMIT = 50_000;

export function scalar(s: string): string {
  let out = SCALARS.get(s);
  if (out === undefined) {
    out = isPlain(s) ? s : JSON.stringify(s);
    if (SCALARS.size < SCALAR_CACHE_LIMIT) SCALARS.set(s, out);
  }
  return out;
}

// Block literals only where they round-trip exactly: printable text without tabs, carriage
// returns or trailing spaces on a line, and no line that starts with a space right after an
// empty one at the start (the indentation indicator handles a leading space on the first line).
function canBlock(s: string): boolean {
  return s.includes('\n') && !/[\r\t\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s) && !/ \n| $/.test(s);
}

function block(s: string, indent: string): string {
  let chomp = '-';
  let body = s;
  if (s.endsWith('\n')) {
    body = s.slice(0, -1);
    chomp = body.endsWith('\n') || body === '' ? '+' : '';
    if (chomp === '+') body = s.slice(0, -1);
  }
  const lines = body.split('\n');
  const indicator = lines[0].startsWith(' ') || (lines[0] === '' && lines.find((l) => l !== '')?.startsWith(' ')) ? '2' : '';
  const ind = indent + '  ';
  return `|${indicator}${chomp}\n` + lines.map((l) => (l === '' ? '' : ind + l)).join('\n');
}

function number(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`cannot write ${n} as YAML: not a finite number`);
  return String(n);
}

function isEmpty(v: unknown): boolean {
  return Array.isArray(v) ? v.length === 0 : v !== null && typeof v === 'object' && Object.keys(v as object).length === 0;
}

/** Text for a value that follows `key:` or `- ` on the same line (scalars and empty collections). */
function inline(v: unknown, indent: string): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': return canBlock(v) ? block(v, indent) : scalar(v);
    case 'number': return number(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'object': return Array.isArray(v) ? (v.length === 0 ? '[]' : undefined) : isEmpty(v) ? '{}' : undefined;
    default: throw new Error(`cannot write a ${typeof v} as YAML`);
  }
}

function writeMap(obj: Record<string, unknown>, indent: string, out: string[], first: string | undefined): void {
  let lead = first;
  for (const key in obj) {
    const v = obj[key];
    if (v === undefined) continue;
    const prefix = lead ?? indent;
    lead = undefined;
    const k = scalar(key);
    const text = inline(v, indent);
    if (text !== undefined) {
      out.push(`${prefix}${k}: ${text}`);
    } else {
      out.push(`${prefix}${k}:`);
      if (Array.isArray(v)) writeSeq(v, indent + '  ', out);
      else writeMap(v as Record<string, unknown>, indent + '  ', out, undefined);
    }
  }
  if (lead !== undefined) out.push(`${lead}{}`);
}

function writeSeq(arr: readonly unknown[], indent: string, out: string[]): void {
  for (const v of arr) {
    if (v === undefined) throw new Error('cannot write undefined in a YAML sequence');
    const text = inline(v, indent);
    if (text !== undefined) {
      out.push(`${indent}- ${text}`);
    } else if (Array.isArray(v)) {
      out.push(`${indent}-`);
      writeSeq(v, indent + '  ', out);
    } else {
      writeMap(v as Record<string, unknown>, indent + '  ', out, `${indent}- `);
    }
  }
}

/** One YAML document (no `---`), ending in a newline. */
export function toYaml(value: unknown): string {
  const text = inline(value, '');
  if (text !== undefined) return text + '\n';
  const out: string[] = [];
  if (Array.isArray(value)) writeSeq(value, '', out);
  else writeMap(value as Record<string, unknown>, '', out, undefined);
  return out.join('\n') + '\n';
}

/** A multi-document YAML stream: each object a document, separated by `---`. */
export function toYamlDocuments(objects: readonly unknown[]): string {
  return objects.map(toYaml).join('---\n');
}

/**
 * The same text as `toYamlDocuments(objects)`, handed to `write` in chunks of about `chunkChars`
 * characters as the objects are rendered, so that the whole output is never held in memory (at
 * 20,000 services it is ~40 MB of string). Returns the number of documents.
 */
export function streamYamlDocuments(objects: Iterable<unknown>, write: (chunk: string) => void, chunkChars = 1 << 16): number {
  if (!Number.isInteger(chunkChars) || chunkChars < 1) throw new Error(`streamYamlDocuments: chunkChars ${chunkChars} is not a positive integer`);
  let pending = '';
  let n = 0;
  for (const o of objects) {
    pending += (n++ === 0 ? '' : '---\n') + toYaml(o);
    if (pending.length >= chunkChars) {
      write(pending);
      pending = '';
    }
  }
  if (pending) write(pending);
  return n;
}
