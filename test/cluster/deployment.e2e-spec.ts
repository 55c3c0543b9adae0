import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { NODE } from '../../tools/cluster/layout';
import {
  entryPoint,
  kubectl,
  kubectlJson,
  kubectlOk,
  NAMESPACE,
} from './cluster-kubectl';

interface PodList {
  items: Array<{
    metadata: { name: string; labels?: Record<string, string> };
    status: {
      phase: string;
      containerStatuses?: Array<{ ready: boolean }>;
    };
  }>;
}

/**
 * k8s/overlays/dev as the API server admitted it and the node runs it: what no offline check
 * can see (admission, DNS, storage, the entry point's own cookie, where kube-proxy's rules live).
 */
describe('the deployment on the real cluster', () => {
  it('runs 2 auth, 3 order, 3 cart, 3 cart-legacy and redis-0, every pod 1/1 Running', async () => {
    const pods = await kubectlJson<PodList>(['-n', NAMESPACE, 'get', 'pods']);
    const running = (app: string) =>
      pods.items
        .filter((pod) => pod.metadata.labels?.app === app)
        .filter(
          (pod) =>
            pod.status.phase === 'Running' &&
            (pod.status.containerStatuses ?? []).every(
              (status) => status.ready,
            ) &&
            pod.status.containerStatuses?.length === 1,
        )
        .map((pod) => pod.metadata.name);
    expect({
      auth: running('auth').length,
      order: running('order').length,
      cart: running('cart').length,
      'cart-legacy': running('cart-legacy').length,
      redis: running('redis'),
    }).toEqual({
      auth: 2,
      order: 3,
      cart: 3,
      'cart-legacy': 3,
      redis: ['redis-0'],
    });
  });

  it('enforces Pod Security "restricted" on the namespace: a privileged pod is refused', async () => {
    const attempt = await kubectl([
      '-n',
      NAMESPACE,
      'run',
      'pod-security-probe',
      '--image=docker.io/library/busybox:stand-in',
      '--restart=Never',
      '--privileged',
      '--dry-run=server',
      '--',
      'sh',
    ]);
    expect(attempt.code).not.toBe(0);
    expect(attempt.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(attempt.stderr).toMatch(/privileged/);
  });

  it("binds redis-0's claim to a provisioned volume that holds the append-only file", async () => {
    const claim = await kubectlJson<{
      spec: { storageClassName: string; volumeName: string };
      status: { phase: string };
    }>(['-n', NAMESPACE, 'get', 'pvc', 'data-redis-0']);
    expect(claim.status.phase).toBe('Bound');
    expect(claim.spec.storageClassName).toBe('standard');
    const volume = await kubectlJson<{
      metadata: { annotations?: Record<string, string> };
      spec: { hostPath?: { path: string }; local?: { path: string } };
    }>(['get', 'pv', claim.spec.volumeName]);
    expect(
      volume.metadata.annotations?.['pv.kubernetes.io/provisioned-by'],
    ).toBe('rancher.io/local-path');
    const path = volume.spec.hostPath?.path ?? volume.spec.local?.path;
    expect(path).toBeDefined();
    // The node's disk is this machine's: Redis (uid 999) wrote its AOF there through the volume.
    expect(existsSync(path as string)).toBe(true);
    expect(readdirSync(path as string).join(' ')).toMatch(/appendonly/);
  });

  it('resolves Services through CoreDNS from inside a pod (the names the apps dial)', async () => {
    const services = await kubectlJson<{
      items: Array<{ metadata: { name: string }; spec: { clusterIP: string } }>;
    }>(['-n', NAMESPACE, 'get', 'services']);
    const clusterIp = (name: string) =>
      services.items.find((service) => service.metadata.name === name)?.spec
        .clusterIP;
    const resolved = await kubectlOk([
      '-n',
      NAMESPACE,
      'exec',
      'deploy/order',
      '--',
      'node',
      '-e',
      "const dns=require('node:dns').promises;Promise.all(['redis','auth'].map((n)=>dns.lookup(n))).then((a)=>console.log(JSON.stringify(a.map((x)=>x.address))))",
    ]);
    expect(JSON.parse(resolved)).toEqual([
      clusterIp('redis'),
      clusterIp('auth'),
    ]);
  });

  it('routes through Traefik with the sticky cookie the Service annotations ask for', async () => {
    const menu = await fetch(`${entryPoint()}/menu`);
    expect(menu.status).toBe(200);
    expect(menu.headers.get('x-pod-name')).toMatch(/^order-/);
    const legacy = await fetch(`${entryPoint()}/legacy-cart`);
    expect(legacy.status).toBe(401);
    const cookie = legacy.headers
      .getSetCookie()
      .find((line) => line.startsWith('legacy_cart_affinity='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; Path=\/legacy-cart/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
  });

  it("keeps kube-proxy's rules inside the node's network namespace, none on the host", () => {
    const rules = (args: string[]) =>
      execFileSync(args[0], args.slice(1), { encoding: 'utf8' });
    const node = rules([
      'nsenter',
      `--net=/run/netns/${NODE.netns}`,
      '--',
      'iptables-save',
      '-t',
      'nat',
    ]);
    const host = rules(['iptables-save', '-t', 'nat']);
    expect(node).toMatch(/KUBE-SERVICES/);
    expect(node).toMatch(/KUBE-NODEPORTS/);
    expect(host).not.toMatch(/KUBE-/);
  });

  it('has every NetworkPolicy of the base (admitted; enforcement needs a network plugin, see docs)', async () => {
    const policies = await kubectlJson<{
      items: Array<{ metadata: { name: string } }>;
    }>(['-n', NAMESPACE, 'get', 'networkpolicies']);
    expect(policies.items.map((policy) => policy.metadata.name)).toEqual(
      expect.arrayContaining(['default-deny', 'allow-entry-point']),
    );
  });
});
