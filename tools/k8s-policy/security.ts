/**
 * Security: the restricted Pod Security profile and then some.
 */
import { workloadsOf, allContainersOf } from './objects';
import { type KubernetesObject, nameOf } from './rendering';

/**
 * The restricted Pod Security profile and then some: non-root, no privilege escalation, a
 * read-only root filesystem, every capability dropped, the runtime's seccomp profile, no
 * service-account token, and /tmp as the one writable (emptyDir) place.
 */
export function checkSecurity(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const { workload, container, where } of allContainersOf(objects)) {
    const pod = workload.pod.securityContext ?? {};
    const own = container.securityContext ?? {};
    if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true)
      problems.push(`${where}: runAsNonRoot is not true`);
    if ((own.runAsUser ?? pod.runAsUser) === 0)
      problems.push(`${where}: runs as uid 0`);
    if (own.allowPrivilegeEscalation !== false)
      problems.push(`${where}: allowPrivilegeEscalation is not false`);
    if (own.readOnlyRootFilesystem !== true)
      problems.push(`${where}: readOnlyRootFilesystem is not true`);
    if (!(own.capabilities?.drop ?? []).includes('ALL'))
      problems.push(`${where}: capabilities.drop does not include ALL`);
    if ((own.capabilities?.add ?? []).length > 0)
      problems.push(`${where}: adds capabilities`);
    if ((own.privileged ?? false) !== false)
      problems.push(`${where}: privileged`);
    if ((own.seccompProfile ?? pod.seccompProfile)?.type !== 'RuntimeDefault')
      problems.push(`${where}: seccompProfile is not RuntimeDefault`);
    const tmp = (container.volumeMounts ?? []).find(
      (mount) => mount.mountPath === '/tmp',
    );
    const tmpVolume = workload.pod.volumes?.find(
      (volume) => volume.name === tmp?.name,
    );
    if (!tmpVolume?.emptyDir)
      problems.push(`${where}: no emptyDir mounted at /tmp`);
  }
  for (const workload of workloadsOf(objects)) {
    const where = nameOf(workload.object);
    if (workload.pod.automountServiceAccountToken !== false)
      problems.push(`${where}: automountServiceAccountToken is not false`);
    if (
      workload.pod.hostNetwork ||
      workload.pod.hostPID ||
      workload.pod.hostIPC
    )
      problems.push(`${where}: shares a host namespace`);
  }
  return problems;
}
