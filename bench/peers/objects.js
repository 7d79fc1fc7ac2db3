'use strict';
/**
 * The fleet job every peer does, as plain objects: per service one Deployment (gRPC probes,
 * restricted security context) and one LoadBalancer Service, namespace `fleet`. floor.js and
 * js-yaml.js use it; fleet.jsonnet and the kustomize base write the same objects their own way.
 */
function pad(i, size) {
  return String(i).padStart(Math.max(3, String(size - 1).length), '0');
}

function service(name) {
  const labels = { 'app.kubernetes.io/name': 'whoami', 'app.kubernetes.io/instance': name };
  const probe = (initialDelaySeconds) => ({ grpc: { port: 10000 }, initialDelaySeconds, periodSeconds: 10 });
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'fleet', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{
              name: 'server',
              image: 'gcr.io/bench/grpc-server:1.0.0',
              ports: [{ name: 'grpc', containerPort: 10000 }],
              livenessProbe: probe(10),
              readinessProbe: probe(2),
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'fleet', labels },
      spec: { type: 'LoadBalancer', selector: labels, ports: [{ name: 'grpc', port: 10000, targetPort: 'grpc' }] },
    },
  ];
}

function* fleet(size) {
  for (let i = 0; i < size; i++) yield* service(`service-${pad(i, size)}`);
}

/** `--size N --out FILE` from argv. */
function args() {
  const a = process.argv.slice(2);
  const get = (k) => { const i = a.indexOf(k); if (i < 0 || i + 1 >= a.length) throw new Error(`missing ${k}`); return a[i + 1]; };
  const size = parseInt(get('--size'), 10);
  if (!(size > 0)) throw new Error(`--size ${get('--size')} is not a positive integer`);
  return { size, out: get('--out') };
}

module.exports = { fleet, service, pad, args };
