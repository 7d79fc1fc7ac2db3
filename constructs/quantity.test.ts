import { canonicalQuantity, storedQuantity } from './quantity';

// What Kubernetes' own code makes of each quantity: the second column was printed by
//   kubectl create quota x --hard=requests.storage=<quantity> --dry-run=client \
//     -o jsonpath='{.spec.hard.requests\.storage}'
// (apimachinery's ParseQuantity and Quantity.String(), the code the API server stores with).
const STORED: [string, string][] = [
  ['5000', '5k'], ['0.5', '500m'], ['1000m', '1'], ['1.5Gi', '1536Mi'], ['1024Ki', '1Mi'], ['1e3', '1e3'],
  ['100m', '100m'], ['0.1m', '100u'], ['1n', '1n'], ['0.5n', '1n'], ['12e6', '12e6'], ['1M', '1M'],
  ['1000k', '1M'], ['1Ki', '1Ki'], ['0.5Ki', '512'], ['1536', '1536'], ['10Gi', '10Gi'], ['1.1Ki', '1126400m'],
  ['1.500', '1.500'], ['100e-3', '100e-3'], ['1.5e3', '1500'], ['0', '0'], ['0m', '0'], ['0Gi', '0'],
  ['2000', '2k'], ['1024', '1024'], ['1025Ki', '1025Ki'], ['1E', '1E'], ['9E', '9E'], ['10E', '10E'],
  ['20Ei', '9223372036854775807'], ['123456789', '123456789'], ['0.000000001', '1n'], ['0.0000000001', '1n'],
  ['1.5', '1500m'], ['256Mi', '256Mi'], ['500m', '500m'], ['64Mi', '64Mi'], ['1G', '1G'], ['1000M', '1G'],
  ['2048Mi', '2Gi'], ['1e-9', '1e-9'], ['1e-10', '1e-9'], ['3e2', '300'], ['.5', '500m'], ['1.', '1.'],
  ['+5', '+5'], ['1024Mi', '1Gi'], ['1048576', '1048576'], ['1048576Ki', '1Gi'], ['0.25', '250m'],
  ['250m', '250m'], ['2.5Gi', '2560Mi'], ['1000000m', '1k'], ['7e0', '7e0'], ['5k', '5k'],
];

describe('storedQuantity: the form the API server stores', () => {
  test.each(STORED)('%s -> %s', (given, stored) => {
    expect(storedQuantity(given)).toBe(stored);
  });

  test('what the server stores it keeps: storing again changes nothing', () => {
    for (const [, stored] of STORED) expect(storedQuantity(stored)).toBe(stored);
  });

  test('the ResourceQuota count of NodeDrainer: 5000 pods is stored as 5k', () => {
    expect(storedQuantity('5000')).toBe('5k');
  });

  test.each<[string, string]>([
    ['100u', '1m'], ['1n', '1m'], ['0.0001', '1m'], ['1.0001', '1001m'], ['1.5001Gi', '1610720110183m'],
    ['1.500', '1.500'], ['100m', '100m'], ['5000', '5k'], ['0.5', '500m'], ['10Gi', '10Gi'], ['1e-9', '1e-3'],
  ])('in a ResourceList (requests, limits, quota) the server also rounds up to milli: %s -> %s', (given, stored) => {
    expect(storedQuantity(given, true)).toBe(stored);
  });

  test('remembered answers keep the two forms apart, and a bad quantity throws every time', () => {
    for (let i = 0; i < 2; i++) {
      expect(storedQuantity('100u')).toBe('100u');
      expect(storedQuantity('100u', true)).toBe('1m');
      expect(() => storedQuantity('lots')).toThrow('"lots" is not a kubernetes quantity');
    }
  });

  test('a string that is not a quantity throws', () => {
    expect(() => storedQuantity('lots')).toThrow('"lots" is not a kubernetes quantity');
    expect(() => storedQuantity('1Gb')).toThrow('"1Gb" is not a kubernetes quantity');
  });
});

describe('canonicalQuantity: the form when the server does not keep the string', () => {
  test.each<[string, string]>([
    ['1.500', '1500m'], ['100m', '100m'], ['10Gi', '10Gi'], ['1025Ki', '1025Ki'], ['1.', '1'], ['+5', '5'],
    ['7e0', '7'], ['-1.5Gi', '-1536Mi'], ['-5000', '-5k'], ['0.5Ki', '512'], ['10E', '9223372036854775807'],
  ])('%s -> %s', (given, canonical) => {
    expect(canonicalQuantity(given)).toBe(canonical);
  });
});

describe('every quantity in the committed output is in the stored form', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml = require('js-yaml');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('fs') as typeof import('fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('path') as typeof import('path');
  const dist = path.join(__dirname, '..', 'dist');
  const QUANTITY_MAPS = new Set(['requests', 'limits', 'hard', 'capacity', 'default', 'defaultRequest', 'max', 'min']);

  /** [where, value] of every quantity: the values of the quantity maps and every sizeLimit. */
  function quantities(node: unknown, where: string, out: [string, string][]): [string, string][] {
    if (Array.isArray(node)) node.forEach((item, i) => quantities(item, `${where}[${i}]`, out));
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        const at = `${where}.${key}`;
        if (key === 'sizeLimit' && typeof value === 'string') out.push([at, value]);
        else if (QUANTITY_MAPS.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
          for (const [name, amount] of Object.entries(value)) if (typeof amount === 'string') out.push([`${at}.${name}`, amount]);
        } else quantities(value, at, out);
      }
    }
    return out;
  }

  const files = fs.readdirSync(dist, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)
    .flatMap((env) => fs.readdirSync(path.join(dist, env))
    .filter((f) => f.endsWith('.k8s.yaml')).map((f) => path.join(env, f)));

  test('there is output to look at, with quantities of every kind the constructs emit', () => {
    const all = files.flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dist, f), 'utf8'))
      .flatMap((doc: any) => quantities(doc, `${doc.kind}/${doc.metadata.name}`, [])));
    expect(files.length).toBeGreaterThan(0);
    const kinds = new Set(all.map(([where]: [string, string]) => where.replace(/\[\d+\]/g, '').replace(/^.*\.(\w+\.\w+)$/, '$1')));
    expect([...kinds]).toEqual(expect.arrayContaining(['requests.cpu', 'requests.memory', 'limits.memory', 'hard.pods', 'requests.storage']));
  });

  test.each(files)('%s', (file) => {
    const wrong = yaml.loadAll(fs.readFileSync(path.join(dist, file), 'utf8'))
      .flatMap((doc: any) => quantities(doc, `${doc.kind}/${doc.metadata.name}`, []))
      .filter(([where, value]: [string, string]) => storedQuantity(value, !where.endsWith('.sizeLimit')) !== value)
      .map(([where, value]: [string, string]) => `${where}: ${value} is stored as ${storedQuantity(value, !where.endsWith('.sizeLimit'))}`);
    expect(wrong).toEqual([]);
  });
});
