import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../lab/free-port';
import { ClusterUnreachableError, KubernetesDriver } from './k8s-driver';
import { gracePeriodSeconds, labelSelectorFor, summarizePod } from './k8s-pods';

function kubeconfig(directory: string, server: string): string {
  const file = join(directory, 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
  - name: lab
    cluster: { server: "${server}", insecure-skip-tls-verify: true }
contexts:
  - name: lab
    context: { cluster: lab, user: lab, namespace: what-survives }
current-context: lab
users:
  - name: lab
    user: { token: test-token }
`,
  );
  return file;
}

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, labels: { app: 'order' }, ...extra },
  status: {
    phase: 'Running',
    startTime: '2026-11-27T00:00:00Z',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ restartCount: 2 }],
  },
});

describe('Kubernetes driver: pod selection and mapping', () => {
  it('selects pods by the app label', () => {
    expect(labelSelectorFor('cart-legacy')).toBe('app=cart-legacy');
    expect(labelSelectorFor()).toBe('app');
    expect(() => labelSelectorFor('order,app!=x')).toThrow(/invalid app name/);
  });

  it('reads ready, restarts and Terminating as kubectl shows them', () => {
    expect(summarizePod(pod('order-1'))).toEqual({
      name: 'order-1',
      app: 'order',
      ready: true,
      restarts: 2,
      startedAt: '2026-11-27T00:00:00.000Z',
      status: 'Running',
    });
    expect(
      summarizePod(
        pod('order-2', { deletionTimestamp: '2026-11-27T00:01:00Z' }),
      ),
    ).toMatchObject({
      ready: false,
      status: 'Terminating',
    });
  });

  it('takes grace periods as kubectl does', () => {
    expect(gracePeriodSeconds(0)).toBe(0);
    expect(() => gracePeriodSeconds(-1)).toThrow(/whole number/);
    expect(() => gracePeriodSeconds(1.5)).toThrow(/whole number/);
  });
});

describe('Kubernetes driver against an API endpoint (no cluster here)', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'kubeconfig-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('fails with one clear line when no API server answers', async () => {
    const port = await freePort();
    const error = await KubernetesDriver.connect({
      baseUrl: 'http://127.0.0.1:1',
      kubeconfig: kubeconfig(directory, `http://127.0.0.1:${port}`),
    }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^cannot reach the Kubernetes API at http://127.0.0.1:${port}: ECONNREFUSED$`,
      ),
    );
  });

  it('fails with one clear line for an unknown context', async () => {
    const error = await KubernetesDriver.connect({
      baseUrl: 'http://127.0.0.1:1',
      kubeconfig: kubeconfig(directory, 'http://127.0.0.1:1'),
      context: 'kind-missing',
    }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    expect((error as Error).message).not.toContain('\n');
  });

  describe('with an endpoint that speaks the pods API', () => {
    let server: Server;
    const requests: string[] = [];
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      server = createServer((request, response) => {
        requests.push(`${request.method} ${request.url}`);
        response.setHeader('content-type', 'application/json');
        if (request.method === 'GET') {
          response.end(
            JSON.stringify({
              kind: 'PodList',
              apiVersion: 'v1',
              metadata: {},
              items: [pod('order-a'), pod('order-b')],
            }),
          );
        } else {
          response.end(
            JSON.stringify({
              kind: 'Pod',
              apiVersion: 'v1',
              ...pod('order-a'),
            }),
          );
        }
      });
      await new Promise<void>((resolve) =>
        server.listen(port, '127.0.0.1', resolve),
      );
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('lists by label in the context namespace and deletes with the grace period', async () => {
      const driver = await KubernetesDriver.connect({
        baseUrl: 'http://ingress.local/',
        kubeconfig: kubeconfig(directory, `http://127.0.0.1:${port}`),
      });
      expect(driver.baseUrl).toBe('http://ingress.local');
      expect(
        (await driver.listPods('order')).map((listed) => listed.name),
      ).toEqual(['order-a', 'order-b']);
      await driver.deletePod('order-a', 0);
      await driver.deletePod('order-b', 30);
      expect(requests).toContain(
        'GET /api/v1/namespaces/what-survives/pods?labelSelector=app%3Dorder',
      );
      expect(requests).toContain(
        'DELETE /api/v1/namespaces/what-survives/pods/order-a?gracePeriodSeconds=0',
      );
      expect(requests).toContain(
        'DELETE /api/v1/namespaces/what-survives/pods/order-b?gracePeriodSeconds=30',
      );
    });
  });
});
