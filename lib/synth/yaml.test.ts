import * as YAML from 'yaml';
import { scalar, streamYamlDocuments, toYaml, toYamlDocuments } from './yaml';

// Deterministic pseudo-random values, so a failure reproduces.
function rng(seed: number) {
  return () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
}
const PIECES = ['a', 'Z', '0', '9', '-', '_', '.', '/', ':', ' ', '#', '"', "'", '\\', '\n', '\t', '*', '&', '!', '|', '>', '%', '@', '`', '{', '}', '[', ']', ',', '?', '~', 'é', '漢', '\u0000', '\r', 'yes', 'no', 'on', 'null', 'true', '0x1F', '1e3', '.5', '0777', '2024-01-01', '---', '...', '=', '+'];

function randomString(r: () => number): string {
  const n = Math.floor(r() * 6);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)];
  return s;
}
function randomValue(r: () => number, depth: number): unknown {
  const pick = r();
  if (depth > 3 || pick < 0.45) {
    const k = r();
    if (k < 0.6) return randomString(r);
    if (k < 0.8) return Math.floor(r() * 200000) - 100000;
    if (k < 0.85) return r() * 10;
    if (k < 0.95) return r() < 0.5;
    return null;
  }
  if (pick < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 5); i > 0; i--) o[randomString(r) || 'k'] = randomValue(r, depth + 1);
  return o;
}

describe('yaml writer', () => {
  test('the yaml library parses 3,000 generated values back to the same value', () => {
    const r = rng(42);
    for (let i = 0; i < 3000; i++) {
      const value = { doc: randomValue(r, 0) };
      const text = toYaml(value);
      expect({ i, back: YAML.parse(text) }).toEqual({ i, back: value });
    }
  });

  test('strings YAML 1.1 would read as something else are quoted', () => {
    for (const s of ['yes', 'No', 'on', 'OFF', 'y', 'n', 'true', 'null', '~', '0777', '1e3', '0x1F', '.5', '12:30', '2024-01-01', '', '-', '- x', 'a: b', 'a #b', '@x', '*x', '!x', '%x', '`x', '[x', '{x', '|', '>']) {
      expect(scalar(s)).toBe(JSON.stringify(s));
      expect(YAML.parse(`v: ${scalar(s)}`, { version: '1.1' }).v).toBe(s);
    }
  });

  test('ordinary Kubernetes strings stay plain', () => {
    for (const s of ['grpc', 'service-000', 'gcr.io/p/grpc-server:1.0', 'app.kubernetes.io/name', 'RuntimeDefault', '/tmp', '10Gi', '250m']) expect(scalar(s)).toBe(s);
  });

  test('multi-line strings are block literals with the right chomping, and parse back exactly', () => {
    const cases: [string, string][] = [
      ['#!/bin/bash\nset -eu\necho hi\n', '|'],
      ['no newline at end\nx', '|-'],
      ['two at end\n\n', '|+'],
      ['  indented first\nline\n', '|2'],
    ];
    for (const [s, header] of cases) {
      const text = toYaml({ script: s });
      expect(text.startsWith(`script: ${header}\n`)).toBe(true);
      expect(YAML.parse(text).script).toBe(s);
    }
    // Lines with trailing spaces or tabs cannot be block literals: quoted instead.
    expect(toYaml({ s: 'a \nb' })).toBe('s: "a \\nb"\n');
  });

  test('layout: keys in order, sequences under their key, empty collections inline, documents separated', () => {
    expect(toYamlDocuments([{ b: 1, a: { c: [1, { d: 'x', e: [] }], f: {} } }, { kind: 'List' }])).toBe(
      'b: 1\na:\n  c:\n    - 1\n    - d: x\n      e: []\n  f: {}\n---\nkind: List\n',
    );
  });

  test('refuses what JSON could not hold', () => {
    expect(() => toYaml({ n: Infinity })).toThrow('cannot write Infinity as YAML: not a finite number');
    expect(() => toYaml({ f: () => 1 })).toThrow('cannot write a function as YAML');
    expect(() => toYaml({ a: [undefined] })).toThrow('cannot write undefined in a YAML sequence');
  });

  test('undefined fields are left out, as JSON would', () => {
    expect(toYaml({ a: undefined, b: 1 })).toBe('b: 1\n');
  });
});

describe('streamYamlDocuments', () => {
  const r = rng(14);
  const objects = Array.from({ length: 300 }, (_, i) => ({ kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { v: randomValue(r, 0) } }));

  test.each([1, 100, 4096, 1 << 16])('writes exactly the bytes of toYamlDocuments, in chunks of about %i characters', (chunk) => {
    const chunks: string[] = [];
    const n = streamYamlDocuments(objects, (c) => chunks.push(c), chunk);
    expect(n).toBe(300);
    expect(chunks.join('')).toBe(toYamlDocuments(objects));
    // Never one string of the whole output unless it fits one chunk: each chunk is at most one
    // document past the threshold.
    const longestDoc = Math.max(...objects.map((o) => toYaml(o).length + 4));
    for (const c of chunks) expect(c.length).toBeLessThan(chunk + longestDoc);
    if (chunk < 4096) expect(chunks.length).toBeGreaterThan(10);
  });

  test('consumes an iterable lazily: each object is rendered and handed on before the next is made', () => {
    const seen: string[] = [];
    function* make() {
      for (let i = 0; i < 3; i++) {
        seen.push(`make ${i}`);
        yield { i };
      }
    }
    streamYamlDocuments(make(), (c) => seen.push(`write ${JSON.stringify(c)}`), 1);
    expect(seen).toEqual(['make 0', 'write "i: 0\\n"', 'make 1', 'write "---\\ni: 1\\n"', 'make 2', 'write "---\\ni: 2\\n"']);
  });

  test('no objects write nothing; a bad chunk size is refused', () => {
    const chunks: string[] = [];
    expect(streamYamlDocuments([], (c) => chunks.push(c))).toBe(0);
    expect(chunks).toEqual([]);
    expect(() => streamYamlDocuments([], () => undefined, 0)).toThrow('streamYamlDocuments: chunkChars 0 is not a positive integer');
  });
});
