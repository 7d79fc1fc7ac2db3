/**
 * Reading and editing one key of an env file (dotenv syntax) without disturbing anything else: the
 * release rewrites only the value of the line that defines the key, so comments, order, blank lines,
 * quoting of the other keys and the final newline stay byte for byte.
 */
import * as dotenv from 'dotenv';

/** `KEY=value` (optionally `export KEY=value`), as dotenv reads it; group 1 is everything before the value. */
function definition(key: string): RegExp {
  return new RegExp(`^(\\s*(?:export\\s+)?${key}\\s*=[ \\t]*)(.*)$`, 'gm');
}

/** The value of `key` as dotenv parses the text, or undefined. */
export function readEnvValue(text: string, key: string): string | undefined {
  return dotenv.parse(text)[key];
}

/**
 * `text` with `key` set to `value`. The line that defines the key keeps its prefix and loses only its old
 * value (and any comment after it); a key not yet defined is appended as `KEY=value` on a line of its own.
 * Throws when the key is defined more than once (which one wins would be a guess) or the value needs quoting.
 */
export function setEnvValue(text: string, key: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`${JSON.stringify(key)} is not an env key`);
  if (!/^[A-Za-z0-9._\-/:@+]*$/.test(value)) {
    throw new Error(`${key}: value ${JSON.stringify(value)} is not allowed: expected letters, digits and . _ - / : @ +`);
  }
  const matches = [...text.matchAll(definition(key))];
  if (matches.length > 1) throw new Error(`${key} is defined ${matches.length} times: keep one definition`);
  if (matches.length === 0) {
    const separator = text === '' || text.endsWith('\n') ? '' : '\n';
    return `${text}${separator}${key}=${value}\n`;
  }
  const [line, prefix] = matches[0];
  const start = matches[0].index!;
  const eol = line.endsWith('\r') ? '\r' : '';
  return `${text.slice(0, start)}${prefix}${value}${eol}${text.slice(start + line.length)}`;
}
