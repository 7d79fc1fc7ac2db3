/**
 * The real CLI in child processes: what the kubelet sees (probes, SIGTERM, a killed container).
 */
import { killAllChildren, runCli } from '../grpc/processes';
import { KUBE_ALIVE_CLI, startProgram } from './processes';

afterAll(killAllChildren);

test('each mode starts, answers its probes and names its pod', async () => {
  for (const mode of ['getip', 'healthcheck', 'cpuhog']) {
    const p = await startProgram(mode, { POD_NAME: `${mode}-pod-1`, POD_IP: '10.4.4.4' });
    expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${p.url}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${p.url}/?ms=5`)).json()).toMatchObject({ program: mode, pod: `${mode}-pod-1` });
    p.process.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  }
});

test('SIGTERM lets a request in flight finish, then exits 0', async () => {
  const p = await startProgram('cpuhog', { POD_NAME: 'cpuhog-1', CPUHOG_MAX_MS: '3000' });
  const busy = fetch(`${p.url}/?ms=1500`).then((r) => r.json() as Promise<{ busyMs: number }>);
  await new Promise((resolve) => setTimeout(resolve, 300));
  p.process.kill('SIGTERM');
  await p.waitFor(/SIGTERM, draining/);
  expect((await busy).busyMs).toBeGreaterThanOrEqual(1500);
  expect(await p.exited).toEqual({ code: 0, signal: null });
  expect(p.stdout()).toContain('kube-alive cpuhog: stopped');
});

test('healthcheck /kill ends the process with a failure, as a crash would', async () => {
  const p = await startProgram('healthcheck', { POD_NAME: 'healthcheck-1' });
  expect(await (await fetch(`${p.url}/kill`, { method: 'POST' })).json()).toMatchObject({ killed: true });
  expect(await p.exited).toEqual({ code: 1, signal: null });
});

test('an unknown mode or a bad setting stops it at once with a message', async () => {
  const unknown = await runCli(KUBE_ALIVE_CLI, ['nginx']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('kube-alive: mode "nginx" is not one of getip, healthcheck, cpuhog, incver, frontend');
  const port = await runCli(KUBE_ALIVE_CLI, ['getip'], { PORT: 'eighty' });
  expect(port.stderr).toContain('kube-alive: PORT eighty is not an integer');
  const incver = await runCli(KUBE_ALIVE_CLI, ['incver'], { KUBE_API_URL: '', KUBERNETES_SERVICE_HOST: '' });
  expect(incver.stderr).toContain('kube-alive: neither KUBE_API_URL nor KUBERNETES_SERVICE_HOST is set');
});
