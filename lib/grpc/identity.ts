/**
 * The identity a whoami server answers with: the downward-API variables the GrpcService construct sets
 * (`POD_NAME`, `POD_NAMESPACE`, `POD_IP`, `NODE_NAME`), with fallbacks for a server run off-cluster.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface Identity {
  readonly hostname: string;
  readonly podName: string;
  /** Empty off-cluster: there is no namespace to report. */
  readonly namespace: string;
  readonly podIp: string;
  readonly nodeName: string;
  readonly version: string;
}

/** The machine's first non-internal IPv4 address, or 127.0.0.1 when it has none. */
export function firstExternalIpv4(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string {
  for (const name of Object.keys(interfaces).sort()) {
    for (const info of interfaces[name] ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address;
    }
  }
  return '127.0.0.1';
}

/** The mega8s package version (from the package.json next to `lib/`), or `unknown`. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Reads the identity from `env`; blank variables count as unset. */
export function identityFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  host: { hostname: () => string; ipv4: () => string; version: () => string } = {
    hostname: os.hostname, ipv4: () => firstExternalIpv4(), version: packageVersion,
  },
): Identity {
  const hostname = host.hostname();
  return {
    hostname,
    podName: nonEmpty(env.POD_NAME) ?? hostname,
    namespace: nonEmpty(env.POD_NAMESPACE) ?? '',
    podIp: nonEmpty(env.POD_IP) ?? host.ipv4(),
    nodeName: nonEmpty(env.NODE_NAME) ?? hostname,
    version: nonEmpty(env.WHOAMI_VERSION) ?? host.version(),
  };
}
