import { join } from 'node:path';
import { Kubectl } from '../../tools/cluster/kubectl';
import { RolloutError, waitForRollout } from '../../tools/cluster/rollout';
import {
  copyOf,
  renderKustomization,
  type KubernetesObject,
} from '../../tools/k8s-policy/rendering';
import { kubectl, kubectlOk } from './cluster-kubectl';

const ROOT = join(__dirname, '..', '..');

/**
 * What `npm run cluster -- up` (and so `npm run test:cluster`) says when the overlay itself is
 * broken: the object and the cluster's own reason. Two faults only a real cluster shows, each
 * in a namespace of its own with the dev overlay's order Deployment and Service (the rest of
 * the overlay is not needed to start order): a readiness probe on a path the app does not
 * serve, and a Service whose selector matches no pod.
 */
describe('a broken manifest fails the rollout with a message naming the object', () => {
  const overlay = renderKustomization(join(ROOT, 'k8s', 'overlays', 'dev'));
  const cluster = new Kubectl('kubectl', process.env.KUBECONFIG);
  const namespaces: string[] = [];

  /** Deployment/order (1 replica), Service/order and the ConfigMaps they use, in `namespace`. */
  const orderIn = (namespace: string): KubernetesObject[] => {
    const pick = (kind: string, name: (object: KubernetesObject) => boolean) =>
      overlay
        .filter((object) => object.kind === kind && name(object))
        .map(copyOf);
    const objects = [
      ...pick('Deployment', (object) => object.metadata.name === 'order'),
      ...pick('Service', (object) => object.metadata.name === 'order'),
      ...pick('ConfigMap', (object) =>
        /^(platform-config|identity-config|redis-connection)-/.test(
          object.metadata.name ?? '',
        ),
      ),
    ];
    for (const object of objects) object.metadata.namespace = namespace;
    (objects[0] as unknown as { spec: { replicas: number } }).spec.replicas = 1;
    return objects;
  };

  const deploy = async (namespace: string, objects: KubernetesObject[]) => {
    namespaces.push(namespace);
    // A namespace left by an interrupted run goes first.
    await kubectlOk(
      ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=true'],
      { timeoutMs: 120_000 },
    );
    await kubectlOk(['create', 'namespace', namespace]);
    await kubectlOk([
      'label',
      'namespace',
      namespace,
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    await kubectlOk(['apply', '-f', '-'], {
      input: objects.map((object) => JSON.stringify(object)).join('\n'),
    });
  };

  const rolloutError = async (namespace: string): Promise<string> => {
    try {
      await waitForRollout(cluster, namespace, { timeoutMs: 150_000 });
    } catch (error) {
      if (error instanceof RolloutError) return error.message;
      throw error;
    }
    throw new Error(
      `namespace ${namespace} rolled out: the fault was not seen`,
    );
  };

  afterAll(async () => {
    await Promise.all(
      namespaces.map((namespace) =>
        kubectl(['delete', 'namespace', namespace, '--wait=false']),
      ),
    );
  });

  it('a Service selector that matches nothing: "Service/order: selector ... matches no pod"', async () => {
    const objects = orderIn('what-survives-broken-selector');
    const service = objects.find(
      (object) => object.kind === 'Service',
    ) as unknown as {
      spec: { selector: Record<string, string> };
    };
    service.spec.selector = { 'app.kubernetes.io/name': 'ordr' };
    await deploy('what-survives-broken-selector', objects);
    const message = await rolloutError('what-survives-broken-selector');
    expect(message).toMatch(
      /namespace what-survives-broken-selector did not roll out/,
    );
    expect(message).toMatch(
      /Service\/order: selector app\.kubernetes\.io\/name=ordr matches no pod \(no endpoints; pods here are order\)/,
    );
  }, 180_000);

  it('a readiness path typo: "Deployment/order: 0/1 ready; ... Readiness probe failed ... 404 (GET /healthz/redy ...)"', async () => {
    const objects = orderIn('what-survives-broken-probe');
    const deployment = objects.find(
      (object) => object.kind === 'Deployment',
    ) as unknown as {
      spec: {
        template: {
          spec: {
            containers: Array<{
              readinessProbe: { httpGet: { path: string } };
            }>;
          };
        };
      };
    };
    deployment.spec.template.spec.containers[0].readinessProbe.httpGet.path =
      '/healthz/redy';
    await deploy('what-survives-broken-probe', objects);
    const message = await rolloutError('what-survives-broken-probe');
    expect(message).toMatch(
      /Deployment\/order: 0\/1 ready; pod order-\S+: Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 404 \(GET \/healthz\/redy on port http\)/,
    );
  }, 180_000);
});
