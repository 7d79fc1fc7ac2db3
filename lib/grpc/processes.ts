/**
 * The gRPC programs as child processes, for the tests and the benchmark: run the real CLIs
 * (`node --import tsx`), start server processes on 127.0.0.1 with ephemeral ports, and make sure
 * every child is gone afterwards.
 */
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import * as path from 'path';

export const REPO = path.resolve(__dirname, '../..');
export const SERVER_CLI = path.join(REPO, 'lib/grpc/server.ts');
export const CLIENT_CLI = path.join(REPO, 'lib/grpc/client.ts');
export const LOAD_CLI = path.join(REPO, 'lib/grpc/load.ts');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Child {
  readonly process: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Resolves with the first stdout or stderr line that matches, rejects when the process exits first. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<string>;
}

const children = new Set<ChildProcess>();

/** Starts `node --import tsx <script> ...args` in the project, with `env` added to this process's environment. */
export function spawnTs(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  const waiters: { pattern: RegExp; stream: 'stdout' | 'stderr'; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const line = out[w.stream].split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out.stdout += d; check(); });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { out.stderr += d; check(); });
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      check();
      for (const w of waiters.splice(0)) {
        w.reject(new Error(`${path.basename(script)} exited (${code ?? signal}) before printing ${w.pattern}\n`
          + `stdout: ${out.stdout}\nstderr: ${out.stderr}`));
      }
      resolve({ code, signal });
    });
  });
  return {
    process: child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    waitFor(pattern, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, stream, resolve, reject });
        check();
      });
    },
  };
}

export interface CliResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a CLI to completion; kills it and fails after `timeoutMs`. */
export async function runCli(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<CliResult> {
  const child = spawnTs(script, args, env);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const exit = await child.exited.finally(() => clearTimeout(timer));
  if (exit.signal === 'SIGKILL') throw new Error(`${path.basename(script)} ${args.join(' ')} did not exit within ${timeoutMs} ms`);
  return { ...exit, stdout: child.stdout(), stderr: child.stderr() };
}

export interface ServerProcess extends Child {
  readonly address: string;
  readonly port: number;
  readonly pid: number;
}

/** Starts the whoami server CLI on 127.0.0.1, port 0, and waits for its start line. */
export async function startServerProcess(env: NodeJS.ProcessEnv = {}, args: readonly string[] = []): Promise<ServerProcess> {
  const child = spawnTs(SERVER_CLI, ['--host', '127.0.0.1', '--port', '0', ...args], env);
  const started = JSON.parse(await child.waitFor(/"msg":"whoami server started"/)) as { address: string; pid: number };
  return { ...child, address: started.address, port: Number(started.address.split(':').pop()), pid: started.pid };
}

/** Kills (SIGKILL) every child these helpers started that is still running, and waits for them. */
export async function killAllChildren(): Promise<void> {
  const running = [...children];
  await Promise.all(running.map((child) => new Promise<void>((resolve) => {
    // Still in the set: 'close' has not fired yet, whether or not the process has exited.
    child.once('close', () => resolve());
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  })));
}

/** A 127.0.0.1 port nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
