import { join } from 'node:path';
import { PATHS } from './layout';
import { shAsync } from './shell';

/** kubectl of the cluster's own version, against the cluster's API server. */
export class Kubectl {
  constructor(
    readonly binary: string,
    readonly kubeconfig: string = PATHS.adminKubeconfig,
  ) {}

  /** As the cluster's creator (system:masters): only for what must happen before RBAC exists. */
  asSuperAdmin(): Kubectl {
    return new Kubectl(
      this.binary,
      join(PATHS.kubeconfigs, 'super-admin.conf'),
    );
  }

  run(
    args: string[],
    options: { input?: string; timeoutMs?: number } = {},
  ): Promise<string> {
    return shAsync(this.binary, ['--kubeconfig', this.kubeconfig, ...args], {
      input: options.input,
      timeoutMs: options.timeoutMs ?? 120_000,
    });
  }

  apply(manifest: string): Promise<string> {
    return this.run(
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      { input: manifest },
    );
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.run([...args, '-o', 'json'])) as T;
  }
}
