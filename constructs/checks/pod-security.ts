/**
 * The Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * version 1.27, as the API server's Pod Security admission applies them to a pod spec.
 */
import { allContainers } from './objects';

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** What in `spec` (a pod spec) the given level does not allow; empty when the pod is admitted. */
export function podSecurityViolations(spec: any, annotations: Record<string, string>, level: PodSecurityLevel): string[] {
  if (level === 'privileged') return [];
  const out: string[] = [];
  const pod = spec?.securityContext ?? {};
  const containers = allContainers(spec);
  const each = (f: (c: any, sc: any) => string | undefined) => {
    for (const c of containers) {
      const v = f(c, c.securityContext ?? {});
      if (v) out.push(`container ${c.name}: ${v}`);
    }
  };

  // baseline
  if (spec?.hostNetwork) out.push('hostNetwork is true');
  if (spec?.hostPID) out.push('hostPID is true');
  if (spec?.hostIPC) out.push('hostIPC is true');
  if (pod.windowsOptions?.hostProcess) out.push('windowsOptions.hostProcess is true');
  for (const v of spec?.volumes ?? []) if (v.hostPath) out.push(`volume ${v.name} is a hostPath`);
  each((_c, sc) => (sc.privileged ? 'privileged is true' : undefined));
  each((_c, sc) => (sc.windowsOptions?.hostProcess ? 'windowsOptions.hostProcess is true' : undefined));
  each((_c, sc) => {
    const bad = (sc.capabilities?.add ?? []).filter((cap: string) => !BASELINE_CAPABILITIES.has(cap));
    return bad.length ? `adds capabilities ${bad.join(', ')}` : undefined;
  });
  each((c) => ((c.ports ?? []).some((p: any) => p.hostPort) ? 'uses a hostPort' : undefined));
  each((_c, sc) => (sc.procMount && sc.procMount !== 'Default' ? `procMount is ${sc.procMount}` : undefined));
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v !== 'runtime/default' && !v.startsWith('localhost/')) {
      out.push(`annotation ${k} is ${v}`);
    }
  }
  const seLinuxBad = (o: any) => o && ((o.type && !['container_t', 'container_init_t', 'container_kvm_t'].includes(o.type)) || o.user || o.role);
  if (seLinuxBad(pod.seLinuxOptions)) out.push('seLinuxOptions are not allowed');
  each((_c, sc) => (seLinuxBad(sc.seLinuxOptions) ? 'seLinuxOptions are not allowed' : undefined));
  if (pod.seccompProfile?.type === 'Unconfined') out.push('seccompProfile is Unconfined');
  each((_c, sc) => (sc.seccompProfile?.type === 'Unconfined' ? 'seccompProfile is Unconfined' : undefined));
  for (const s of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) out.push(`sysctl ${s.name} is not allowed`);
  if (level === 'baseline') return out;

  // restricted
  for (const v of spec?.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUMES.has(type) && type !== 'hostPath') out.push(`volume ${v.name} is a ${type} volume`);
  }
  each((_c, sc) => (sc.allowPrivilegeEscalation !== false ? 'allowPrivilegeEscalation is not false' : undefined));
  each((_c, sc) => (sc.runAsNonRoot !== true && pod.runAsNonRoot !== true ? 'runAsNonRoot is not true' : undefined));
  if (sc0(pod.runAsUser)) out.push('runAsUser is 0');
  each((_c, sc) => (sc0(sc.runAsUser) ? 'runAsUser is 0' : undefined));
  const seccompOk = (p: any) => p?.type === 'RuntimeDefault' || p?.type === 'Localhost';
  each((_c, sc) => (!seccompOk(sc.seccompProfile) && !(seccompOk(pod.seccompProfile) && sc.seccompProfile === undefined) ? 'seccompProfile is not RuntimeDefault or Localhost' : undefined));
  each((_c, sc) => (!(sc.capabilities?.drop ?? []).includes('ALL') ? 'capabilities do not drop ALL' : undefined));
  each((_c, sc) => {
    const bad = (sc.capabilities?.add ?? []).filter((cap: string) => cap !== 'NET_BIND_SERVICE');
    return bad.length ? `adds capabilities ${bad.join(', ')} (restricted allows only NET_BIND_SERVICE)` : undefined;
  });
  return out;
}

function sc0(uid: unknown): boolean {
  return uid === 0;
}
