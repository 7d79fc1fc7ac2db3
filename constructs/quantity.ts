/**
 * Kubernetes quantities in the form the API server stores them.
 *
 * The server parses every quantity it receives and stores what `Quantity.String()` gives back:
 * `5000` becomes `5k`, `0.5` becomes `500m`, `1024Mi` becomes `1Gi`. A manifest that says `5000`
 * then differs from the live object on every client-side `kubectl apply` ("configured" with no
 * change), so the constructs emit the stored form themselves. The rules are apimachinery's
 * (k8s.io/apimachinery/pkg/api/resource: `ParseQuantity`, `Quantity.CanonicalizeBytes`):
 *
 * - the suffix picks the format: `Ki`…`Ei` binary, `e<n>` exponent, anything else (`n u m k M G
 *   T P E` or none) decimal;
 * - the parser keeps the string as written when its fast path finds it short already: decimal
 *   with at most 18 digits, a whole number of nano units, the scale a multiple of 3, no leading
 *   zero digit and no trailing `000` (`100m`, `1.500`, `12e6`); binary without a fraction, small
 *   enough, and a number not divisible by 8 (`10Gi`, `1025Ki`, but not `256Mi`). Otherwise it
 *   stores the canonical form:
 * - the value is rounded up (away from zero) to a whole number of nano units (milli units in a
 *   ResourceList, which the server's defaulting rounds again), capped at 2^63-1; zero is `0`;
 * - binary: a value of magnitude below 1024, or not a whole number, is written decimal; else the
 *   largest power of 1024 that divides it is the suffix (`1536Mi`, `1Gi`, `1025`);
 * - decimal and exponent: the digits without trailing zeros, the exponent lowered to a multiple of
 *   3, then the suffix of that exponent (`5k`, `100u`; `e3`, `e-6` in the exponent format).
 */

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)((?:[KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;
const MAX = (1n << 63n) - 1n;
const NANO = -9;
const MILLI = -3;

/**
 * The form the API server stores `quantity` in; throws on a string that is not a quantity.
 *
 * `resourceList`: the quantity is a value of a ResourceList (container requests and limits, a
 * claim's storage request, a ResourceQuota's `hard`), which the server's defaulting also rounds up
 * to whole milli units (`SetDefaults_ResourceList`): `100u` is stored as `1m` there.
 */
export function storedQuantity(quantity: string, resourceList: boolean = false): string {
  // Fleets ask the same few quantities thousands of times: answers are remembered (bounded).
  const key = (resourceList ? 'r' : 'q') + quantity;
  let stored = STORED.get(key);
  if (stored === undefined) {
    stored = computeStoredQuantity(quantity, resourceList);
    if (STORED.size < STORED_LIMIT) STORED.set(key, stored);
  }
  return stored;
}

const STORED = new Map<string, string>();
const STORED_LIMIT = 10_000;

function computeStoredQuantity(quantity: string, resourceList: boolean): string {
  const minScale = resourceList ? MILLI : NANO;
  const parsed = QUANTITY.exec(quantity);
  if (parsed === null) throw new Error(`${JSON.stringify(quantity)} is not a kubernetes quantity`);
  const [, , number, suffix = ''] = parsed;
  const [whole, denom = ''] = number.split('.');
  const num = whole.replace(/^0+/, '') || '0';
  // ParseQuantity's fast path, which keeps the string as written when it is short already.
  if (suffix in BINARY_SUFFIXES) {
    const exponent = BINARY_SUFFIXES[suffix];
    if (denom === '' && 15 - num.length - Math.trunc((exponent * 3) / 10) - 1 >= 0) {
      const value = BigInt(num);
      if ((value << BigInt(exponent)) <= MAX) return (value & 7n) !== 0n ? quantity : canonicalQuantity(quantity, minScale);
    }
  } else {
    const exponent = /^[eE][+-]?\d/.test(suffix) ? Number(suffix.slice(1)) : DECIMAL_SUFFIXES[suffix];
    const scale = exponent - denom.length;
    if (18 - (num.length + denom.length) >= 0 && scale >= NANO) {
      const shifted = num + denom;
      const kept = scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
      return kept && scale >= minScale ? quantity : canonicalQuantity(quantity, minScale);
    }
  }
  return canonicalQuantity(quantity, minScale);
}

/**
 * The canonical form of a quantity (what the server stores when it does not keep the string),
 * rounded up to whole units of 10^minScale (nano; milli for a ResourceList).
 */
export function canonicalQuantity(quantity: string, minScale: number = NANO): string {
  const parsed = QUANTITY.exec(quantity);
  if (parsed === null) throw new Error(`${JSON.stringify(quantity)} is not a kubernetes quantity`);
  const [, sign, number, suffix = ''] = parsed;
  const [whole, fraction = ''] = number.split('.');
  // value = mantissa * 10^exponent, exactly.
  let mantissa = BigInt(`${whole}${fraction}` || '0');
  let exponent = -fraction.length;
  let format: 'binary' | 'decimal' | 'exponent';
  if (suffix in BINARY_SUFFIXES) {
    format = 'binary';
    mantissa <<= BigInt(BINARY_SUFFIXES[suffix]);
  } else if (/^[eE][+-]?\d/.test(suffix)) {
    format = 'exponent';
    exponent += Number(suffix.slice(1));
  } else {
    format = 'decimal';
    exponent += DECIMAL_SUFFIXES[suffix];
  }
  if (mantissa === 0n) return '0';
  // Round up (away from zero) to whole nano, or milli, units.
  if (exponent < minScale) {
    const divisor = 10n ** BigInt(minScale - exponent);
    mantissa = (mantissa + divisor - 1n) / divisor;
    exponent = minScale;
  }
  // Cap at 2^63-1 (the amount as a whole number).
  if (exponent > 0 ? mantissa * 10n ** BigInt(exponent) > MAX : mantissa > MAX * 10n ** BigInt(-exponent)) {
    mantissa = MAX;
    exponent = 0;
  }
  const minus = sign === '-' ? '-' : '';
  if (format === 'binary') {
    const integer = exponent >= 0 ? mantissa * 10n ** BigInt(exponent) : undefined;
    const exact = integer !== undefined || mantissa % 10n ** BigInt(-exponent) === 0n;
    const value = integer ?? mantissa / 10n ** BigInt(-exponent);
    if (exact && value >= 1024n) {
      let amount = value;
      let power = 0;
      while (power < 6 && amount % 1024n === 0n) {
        amount /= 1024n;
        power++;
      }
      return `${minus}${amount}${['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][power]}`;
    }
    format = 'decimal';
  }
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  while (((exponent % 3) + 3) % 3 !== 0) {
    mantissa *= 10n;
    exponent--;
  }
  if (format === 'exponent') return `${minus}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  const decimal = Object.entries(DECIMAL_SUFFIXES).find(([, e]) => e === exponent);
  // Above E (10^18) only a capped value can get here, and it has no trailing zeros.
  return `${minus}${mantissa}${decimal ? decimal[0] : `e${exponent}`}`;
}
