// The fleet as a jsonnet user writes it: `jsonnet -y --tla-code size=400 fleet.jsonnet > fleet.yaml`
function(size=400)
  local pad(i) = std.format('%0' + std.max(3, std.length(std.toString(size - 1))) + 'd', i);
  local probe(delay) = { grpc: { port: 10000 }, initialDelaySeconds: delay, periodSeconds: 10 };
  local service(name) =
    local labels = { 'app.kubernetes.io/name': 'whoami', 'app.kubernetes.io/instance': name };
    [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: name, namespace: 'fleet', labels: labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels: labels },
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
        metadata: { name: name, namespace: 'fleet', labels: labels },
        spec: { type: 'LoadBalancer', selector: labels, ports: [{ name: 'grpc', port: 10000, targetPort: 'grpc' }] },
      },
    ];
  std.flattenArrays([service('service-' + pad(i)) for i in std.range(0, size - 1)])
