import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../lab/free-port';
import { ClusterUnreachableError, KubernetesDriver } from './k8s-driver';
import { RESTARTED_AT, rolloutComplete } from './k8s-deployments';
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

  it('reads an OOM kill and the memory limit as kubectl describe shows them', () => {
    const base = pod('cart-legacy-1');
    const killed = {
      ...base,
      status: {
        ...base.status,
        containerStatuses: [
          {
            restartCount: 1,
            lastState: { terminated: { reason: 'OOMKilled' } },
          },
        ],
      },
    };
    expect(
      summarizePod({
        ...killed,
        spec: { containers: [{ resources: { limits: { memory: '256Mi' } } }] },
      }),
    ).toMatchObject({
      restarts: 1,
      lastTermination: 'OOMKilled',
      memoryLimitBytes: 256 * 2 ** 20,
    });
  });

  it('says a rollout is done as kubectl rollout status does', () => {
    const deployment = (status: Record<string, number>, generation = 2) => ({
      metadata: { generation },
      spec: { replicas: 3 },
      status: { observedGeneration: 2, ...status },
    });
    const done = { replicas: 3, updatedReplicas: 3, availableReplicas: 3 };
    expect(rolloutComplete(deployment(done))).toBe(true);
    // Not yet seen by the controller; an old pod left; a new one not available yet.
    expect(rolloutComplete(deployment(done, 3))).toBe(false);
    expect(rolloutComplete(deployment({ ...done, replicas: 4 }))).toBe(false);
    expect(rolloutComplete(deployment({ ...done, availableReplicas: 2 }))).toBe(
      false,
    );
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

  describe('with an endpoint that speaks the apps API', () => {
    let server: Server;
    const requests: Array<{ line: string; type?: string; body: unknown }> = [];
    let port: number;
    let available = 2;
    beforeAll(async () => {
      port = await freePort();
      server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          requests.push({
            line: `${request.method} ${request.url}`,
            type: request.headers['content-type'],
            body: text ? JSON.parse(text) : undefined,
          });
          response.setHeader('content-type', 'application/json');
          if (request.url?.includes('/pods'))
            return response.end(
              JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: [] }),
            );
          if (request.url?.includes('/horizontalpodautoscalers/cart-legacy')) {
            response.statusCode = 404;
            return response.end(
              JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound' }),
            );
          }
          if (request.url?.includes('/horizontalpodautoscalers/'))
            return response.end(
              JSON.stringify({
                kind: 'HorizontalPodAutoscaler',
                apiVersion: 'autoscaling/v2',
                metadata: { name: 'order' },
                spec: { minReplicas: 1, maxReplicas: 10 },
              }),
            );
          const scale = request.url?.endsWith('/scale');
          response.end(
            JSON.stringify({
              kind: scale ? 'Scale' : 'Deployment',
              apiVersion: scale ? 'autoscaling/v1' : 'apps/v1',
              metadata: { name: 'cart-legacy', generation: 2 },
              spec: { replicas: 3 },
              status: {
                observedGeneration: 2,
                replicas: 3,
                updatedReplicas: 3,
                availableReplicas: available,
              },
            }),
          );
        });
      });
      await new Promise<void>((resolve) =>
        server.listen(port, '127.0.0.1', resolve),
      );
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('rollout restart patches the restartedAt annotation; scale patches the scale subresource; status reads the Deployment', async () => {
      const driver = await KubernetesDriver.connect({
        baseUrl: 'http://ingress.local/',
        kubeconfig: kubeconfig(directory, `http://127.0.0.1:${port}`),
      });
      const before = Date.now();
      await driver.rolloutRestart('cart-legacy');
      await driver.scale('order', 1);
      // cart-legacy has no autoscaler (404): the scale alone.
      await driver.scale('cart-legacy', 2);
      expect(await driver.rollingOut('cart-legacy')).toBe(true);
      available = 3;
      expect(await driver.rollingOut('cart-legacy')).toBe(false);

      const restart = requests.find((entry) =>
        entry.line.startsWith(
          'PATCH /apis/apps/v1/namespaces/what-survives/deployments/cart-legacy',
        ),
      );
      expect(restart?.type).toBe('application/merge-patch+json');
      const stamp = (
        restart?.body as {
          spec: {
            template: { metadata: { annotations: Record<string, string> } };
          };
        }
      ).spec.template.metadata.annotations[RESTARTED_AT];
      expect(Date.parse(stamp)).toBeGreaterThanOrEqual(before - 1000);
      // order's HorizontalPodAutoscaler gets the same floor first, or it scales order back.
      const order = requests.filter((entry) => entry.line.includes('/order'));
      expect(order.map((entry) => [entry.line, entry.body])).toEqual([
        [
          'PATCH /apis/autoscaling/v2/namespaces/what-survives/horizontalpodautoscalers/order',
          { spec: { minReplicas: 1 } },
        ],
        [
          'PATCH /apis/apps/v1/namespaces/what-survives/deployments/order/scale',
          { spec: { replicas: 1 } },
        ],
      ]);
      expect(requests).toContainEqual({
        line: 'PATCH /apis/apps/v1/namespaces/what-survives/deployments/cart-legacy/scale',
        type: 'application/merge-patch+json',
        body: { spec: { replicas: 2 } },
      });
      expect(requests.map((entry) => entry.line)).toContain(
        'GET /apis/apps/v1/namespaces/what-survives/deployments/cart-legacy',
      );
    });
  });
});
