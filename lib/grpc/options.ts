/**
 * Parsers for the command-line values the gRPC programs share. Each throws commander's
 * `InvalidArgumentError`, so commander reports the option and the message and exits with a usage error.
 */
import { InvalidArgumentError } from 'commander';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds: `500ms`, `30s`, `2m`, `1h`, or several parts (`1m30s`); a bare number is seconds.
 */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]];
    consumed = part.lastIndex;
  }
  if (text === '' || consumed !== text.length) {
    throw new InvalidArgumentError(`"${value}" is not a duration: expected e.g. 500ms, 30s, 2m, 1m30s or a number of seconds`);
  }
  return Math.round(total);
}

/** An integer in [min, max]. */
export function parseInteger(value: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`"${value}" is not an integer`);
  const n = Number(value);
  if (n < min || n > max) throw new InvalidArgumentError(`${n} is out of range ${min}-${max}`);
  return n;
}

/** A TCP port; `allowZero` lets a server ask for an ephemeral port. */
export function parsePort(value: string, allowZero = false): number {
  return parseInteger(value, allowZero ? 0 : 1, 65535);
}

/** A positive number (rates may be fractional). */
export function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return n;
}

/** A ratio in [0, 1]. */
export function parseRatio(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`"${value}" is not a ratio between 0 and 1`);
  return n;
}

/** `host:port` or `[ipv6]:port`, returned as given; the port must be 1-65535. */
export function parseTarget(value: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d+)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`"${value}" is not a target: expected host:port or [ipv6]:port`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`"${value}": port ${port} is out of range 1-65535`);
  return `${match[1]}:${port}`;
}

/** `host:port`, with brackets around an IPv6 host. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Commander collector for a repeatable option. */
export function collect<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}
