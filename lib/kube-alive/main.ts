/**
 * kube-alive: one program, one image, a mode per experiment.
 *
 *   node main.js getip|healthcheck|cpuhog|incver|frontend
 *
 * Environment: PORT (default 8080), HOST (default 0.0.0.0), POD_NAME / POD_IP / POD_NAMESPACE from
 * the downward API; cpuhog: CPUHOG_DEFAULT_MS, CPUHOG_MAX_MS; incver: KUBE_ALIVE_VERSION,
 * INCVER_DEPLOYMENT, INCVER_CONTAINER; frontend: PAGE_DIR, GETIP_URL, HEALTHCHECK_URL, CPUHOG_URL,
 * INCVER_URL; incver and frontend: KUBE_API_URL, KUBE_TOKEN_FILE, KUBE_CA_FILE (see kube.ts).
 * SIGTERM and SIGINT stop it gracefully: /readyz turns 503, requests in flight finish, then it exits 0.
 */
import * as path from 'path';
import { frontend, upstreamsFromEnv } from './frontend';
import { Program, serve } from './http';
import { kubeAccessFromEnv } from './kube';
import { cpuhog, getip, healthcheck, identityFromEnv, incver } from './programs';

export const MODES = ['getip', 'healthcheck', 'cpuhog', 'incver', 'frontend'] as const;

function intEnv(env: NodeJS.ProcessEnv, key: string): number | undefined {
  const value = env[key];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`kube-alive: ${key} ${value} is not an integer`);
  return n;
}

export function programFor(mode: string, env: NodeJS.ProcessEnv = process.env): Program {
  const identity = identityFromEnv(env);
  switch (mode) {
    case 'getip':
      return getip(identity);
    case 'healthcheck':
      return healthcheck(identity);
    case 'cpuhog':
      return cpuhog(identity, { defaultMs: intEnv(env, 'CPUHOG_DEFAULT_MS'), maxMs: intEnv(env, 'CPUHOG_MAX_MS') });
    case 'incver':
      return incver(identity, {
        version: env.KUBE_ALIVE_VERSION || 'unversioned',
        kube: kubeAccessFromEnv(env),
        deployment: env.INCVER_DEPLOYMENT || undefined,
        container: env.INCVER_CONTAINER || undefined,
      });
    case 'frontend':
      return frontend({
        pageDir: env.PAGE_DIR || path.join(__dirname, 'web', 'build'),
        upstreams: upstreamsFromEnv(env),
        kube: kubeAccessFromEnv(env),
      });
    default:
      throw new Error(`kube-alive: mode "${mode}" is not one of ${MODES.join(', ')}`);
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? '';
  const program = programFor(mode);
  const port = intEnv(process.env, 'PORT') ?? 8080;
  if (port < 0 || port > 65535) throw new Error(`kube-alive: PORT ${port} is out of range 0-65535`);
  const running = await serve(program, { host: process.env.HOST || '0.0.0.0', port });
  console.log(`kube-alive ${mode} listening on ${running.url}`);
  const stop = (signal: NodeJS.Signals): void => {
    console.log(`kube-alive ${mode}: ${signal}, draining`);
    running.shutdown().then(() => {
      console.log(`kube-alive ${mode}: stopped`);
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(2);
  });
}
