/** Pod identity variables a container can get from the downward API, and their field paths. */
export const DOWNWARD_FIELDS = {
  POD_NAME: 'metadata.name',
  POD_NAMESPACE: 'metadata.namespace',
  POD_IP: 'status.podIP',
  NODE_NAME: 'spec.nodeName',
  SERVICE_ACCOUNT: 'spec.serviceAccountName',
} as const;

export type DownwardVariable = keyof typeof DOWNWARD_FIELDS;

/** The four variables the whoami server answers with. */
export const DOWNWARD_ENV: readonly DownwardVariable[] = ['POD_NAME', 'POD_NAMESPACE', 'POD_IP', 'NODE_NAME'];

/** An `env` entry filled from the downward API (fits both plain JSON and cdk8s-plus-27's L1 `EnvVar`). */
export interface DownwardEnvVar {
  readonly name: string;
  readonly valueFrom: { readonly fieldRef: { readonly fieldPath: string } };
}

/** `env` entries that fill the named variables from the downward API. */
export function downwardEnv(names: readonly DownwardVariable[]): DownwardEnvVar[] {
  return names.map((name) => ({ name, valueFrom: { fieldRef: { fieldPath: DOWNWARD_FIELDS[name] } } }));
}
