/**
 * The Postgres roles script, run for real: psql against a throwaway server (initdb in a temporary
 * directory, listening only on a Unix socket there), twice, as the image's entrypoint runs it.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { postgresRolesScript } from './postgres';

/** The server binaries: Debian's package, else PATH. */
function bin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const p = path.join(root, v, 'bin', name);
    if (fs.existsSync(p)) return p;
  }
  return name;
}

// The server refuses to run as root: run it (and psql) as the `postgres` user when we are root.
const asRoot = process.getuid?.() === 0;
function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const full = asRoot ? ['runuser', ['-u', 'postgres', '--preserve-environment', '--', cmd, ...args]] as const : [cmd, args] as const;
  return spawnSync(full[0], full[1], { env: { ...process.env, ...env, PGHOST: dir, PGUSER: 'postgres' }, encoding: 'utf8' });
}

let dir = '';
const ROLES = [
  { name: 'user', database: 'users', passwordVar: 'MEGA8S_ROLE_PASSWORD_0' },
  { name: 'other', database: 'other', passwordVar: 'MEGA8S_ROLE_PASSWORD_1' },
];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-pg-'));
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  fs.writeFileSync(path.join(dir, 'roles.sql'), postgresRolesScript(ROLES), { mode: 0o644 });
  const init = run(bin('initdb'), ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust']);
  expect(init.status).toBe(0);
  const start = run(bin('pg_ctl'), ['-D', path.join(dir, 'data'), '-o', `-k ${dir} -c listen_addresses=''`, '-l', path.join(dir, 'log'), '-w', 'start']);
  expect(start.stderr).toBe('');
  expect(start.status).toBe(0);
  // As the entrypoint does: POSTGRES_DB exists (owned by the superuser) before the scripts run.
  expect(run('psql', ['-X', '-c', 'CREATE DATABASE users']).status).toBe(0);
}, 60_000);

afterAll(() => {
  if (dir) {
    run(bin('pg_ctl'), ['-D', path.join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const query = (sql: string, user = 'postgres', db = 'postgres') => run('psql', ['-X', '-At', '-U', user, '-d', db, '-c', sql]);
const script = (env: Record<string, string>) => run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', 'users', '-f', path.join(dir, 'roles.sql')], env);

describe('the Postgres roles script against a real server', () => {
  test('creates one login role per client database, owner of it, and runs again without error', () => {
    for (const pass of [1, 2]) {
      const r = script({ MEGA8S_ROLE_PASSWORD_0: "it's-secret", MEGA8S_ROLE_PASSWORD_1: 'x' });
      expect({ pass, status: r.status, stderr: r.stderr }).toEqual({ pass, status: 0, stderr: '' });
    }
    expect(query("SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname IN ('user', 'other') ORDER BY 1").stdout.trim().split('\n'))
      .toEqual(['other|f|f|f|t', 'user|f|f|f|t']);
    // The existing database changed owner; the missing one was created; nobody else may connect.
    expect(query("SELECT datname, pg_get_userbyid(datdba), datacl FROM pg_database WHERE datname IN ('users', 'other') ORDER BY 1").stdout.trim().split('\n'))
      .toEqual(['other|other|{other=CTc/other}', 'users|user|{user=CTc/user}']);
  });

  test('a role works in its own database and cannot connect to another one', () => {
    const own = query('CREATE TABLE IF NOT EXISTS t (a int); SELECT current_user', 'user', 'users');
    expect(own.stdout.trim().split('\n')).toEqual(['CREATE TABLE', 'user']);
    const other = query('SELECT 1', 'user', 'other');
    expect(other.status).not.toBe(0);
    expect(other.stderr).toContain('User does not have CONNECT privilege');
  });

  test('a missing password stops the script with an error naming the variable', () => {
    const r = script({ MEGA8S_ROLE_PASSWORD_1: 'x' });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('MEGA8S_ROLE_PASSWORD_0 is not set: cannot create role user');
  });
});
