/**
 * kube-alive's programs as child processes for the integration tests: the real CLI (main.ts) on
 * 127.0.0.1 with an ephemeral port, through the project's process helpers (lib/grpc/processes.ts).
 */
import * as path from 'path';
import { Child, spawnTs } from '../grpc/processes';

export const KUBE_ALIVE_CLI = path.join(__dirname, 'main.ts');

export interface ProgramProcess extends Child {
  readonly url: string;
}

export async function startProgram(mode: string, env: NodeJS.ProcessEnv = {}): Promise<ProgramProcess> {
  const child = spawnTs(KUBE_ALIVE_CLI, [mode], { HOST: '127.0.0.1', PORT: '0', ...env });
  const line = await child.waitFor(/listening on http:\/\//);
  return { ...child, url: line.slice(line.indexOf('http://')).trim() };
}
