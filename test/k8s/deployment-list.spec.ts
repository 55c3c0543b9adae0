import { join } from 'node:path';
import { deploymentListDisagreements } from '../../tools/k8s-policy/deployments';
import {
  copyOf,
  K8S_DIR,
  renderKustomization,
  type KubernetesObject,
} from '../../tools/k8s-policy/rendering';

/** k8s/base and tools/deployments.ts (what the lab, the bench and the experiment run) agree. */
describe('the deployment list and k8s/base', () => {
  const base = renderKustomization(join(K8S_DIR, 'base'));
  const edited = (edit: (objects: KubernetesObject[]) => void) => {
    const objects = copyOf(base);
    edit(objects);
    return deploymentListDisagreements(objects);
  };
  const named = (objects: KubernetesObject[], kind: string, name: string) =>
    objects.find(
      (object) => object.kind === kind && object.metadata.name === name,
    ) as KubernetesObject & {
      spec: { replicas?: number };
    };

  it('have the same apps, replica counts and sticky Services', () => {
    expect(deploymentListDisagreements(base)).toEqual([]);
  });

  it('catches a replica count changed on one side only', () => {
    expect(
      edited((objects) => {
        named(objects, 'Deployment', 'order').spec.replicas = 5;
      }),
    ).toEqual(['order: replicas 5 in the manifest, 3 in tools/deployments.ts']);
  });

  it('catches a Deployment the list does not know, and one the manifests lack', () => {
    expect(
      edited((objects) => {
        named(objects, 'Deployment', 'auth').metadata.name = 'auth-v2';
      }),
    ).toEqual([
      'auth: in tools/deployments.ts, no Deployment',
      'auth-v2: a Deployment missing from tools/deployments.ts',
    ]);
  });

  it('catches a sticky Service lost from the manifests', () => {
    expect(
      edited((objects) => {
        delete named(objects, 'Service', 'cart-legacy').metadata.annotations?.[
          'traefik.ingress.kubernetes.io/service.sticky.cookie'
        ];
      }),
    ).toEqual([
      'cart-legacy: sticky false in the Service, true in tools/deployments.ts',
    ]);
  });
});
