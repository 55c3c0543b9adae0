/**
 * Looking things up in a rendered set: workloads, the containers that run our apps, label
 * selectors evaluated as the API server evaluates them.
 */
import { type KubernetesObject, nameOf } from './rendering';
import { appOfImage, type AppFacts, type CodeFacts } from './code-facts';
import type { Deployment, StatefulSet } from 'kubernetes-types/apps/v1';
import type {
  Container,
  ContainerPort,
  PodSpec,
  PodTemplateSpec,
} from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';

export type Labels = Record<string, string>;

export const ofKind = <T>(objects: KubernetesObject[], kind: string) =>
  objects.filter((object) => object.kind === kind) as unknown as (T &
    KubernetesObject)[];

export interface Workload {
  object: KubernetesObject;
  name: string;
  replicas: number;
  selector?: LabelSelector;
  template: PodTemplateSpec;
  pod: PodSpec;
  namespace?: string;
}

export function workloadsOf(objects: KubernetesObject[]): Workload[] {
  return [
    ...ofKind<Deployment>(objects, 'Deployment'),
    ...ofKind<StatefulSet>(objects, 'StatefulSet'),
  ].map((object) => ({
    object,
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    replicas: object.spec?.replicas ?? 1,
    selector: object.spec?.selector,
    template: object.spec?.template ?? {},
    pod: object.spec?.template?.spec ?? { containers: [] },
  }));
}

export interface AppContainer {
  workload: Workload;
  container: Container;
  app: AppFacts;
  where: string;
}

/** Containers that run one of our apps (by image), with the app's facts. */
export function appContainersOf(
  objects: KubernetesObject[],
  facts: CodeFacts,
): AppContainer[] {
  return workloadsOf(objects).flatMap((workload) =>
    workload.pod.containers.flatMap((container) => {
      const app = appOfImage(facts, container.image);
      return app
        ? [
            {
              workload,
              container,
              app,
              where: `${nameOf(workload.object)} container ${container.name}`,
            },
          ]
        : [];
    }),
  );
}

export function allContainersOf(objects: KubernetesObject[]) {
  return workloadsOf(objects).flatMap((workload) =>
    [...(workload.pod.initContainers ?? []), ...workload.pod.containers].map(
      (container) => ({
        workload,
        container,
        where: `${nameOf(workload.object)} container ${container.name}`,
      }),
    ),
  );
}

/** Does a label selector select these labels? (matchLabels and matchExpressions, as the API.) */
export function selects(
  selector: LabelSelector | undefined,
  labels: Labels = {},
): boolean {
  if (!selector) return false;
  const matchLabels = Object.entries(selector.matchLabels ?? {}).every(
    ([key, value]) => labels[key] === value,
  );
  const matchExpressions = (selector.matchExpressions ?? []).every(
    ({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return key in labels && values.includes(labels[key]);
        case 'NotIn':
          return !(key in labels) || !values.includes(labels[key]);
        case 'Exists':
          return key in labels;
        case 'DoesNotExist':
          return !(key in labels);
        default:
          return false;
      }
    },
  );
  return matchLabels && matchExpressions;
}

export const isEmptySelector = (selector: LabelSelector | undefined) =>
  !selector ||
  (Object.keys(selector.matchLabels ?? {}).length === 0 &&
    (selector.matchExpressions ?? []).length === 0);

export function portOf(
  ports: ContainerPort[],
  target: number | string | undefined,
): ContainerPort | undefined {
  return ports.find((port) =>
    typeof target === 'string'
      ? port.name === target
      : port.containerPort === target,
  );
}
