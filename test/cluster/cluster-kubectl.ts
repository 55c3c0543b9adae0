import { execFile } from 'node:child_process';

/**
 * The cluster specs call kubectl as a user does: the binary on the PATH (npm run test:cluster
 * puts the cluster's own first) with KUBECONFIG from the environment.
 */
export function kubectl(
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      args,
      { timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        }),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** kubectl that must succeed; its stdout. */
export async function kubectlOk(
  args: string[],
  options?: { input?: string; timeoutMs?: number },
): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code !== 0)
    throw new Error(
      `kubectl ${args.join(' ')} failed: ${result.stderr.trim()}`,
    );
  return result.stdout;
}

export async function kubectlJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
}

export const NAMESPACE = process.env.K8S_NAMESPACE ?? 'what-survives';

export const entryPoint = (): string => {
  const url = process.env.E2E_URL;
  if (!url)
    throw new Error(
      'E2E_URL (the entry point) is not set: run npm run test:cluster',
    );
  return url;
};
