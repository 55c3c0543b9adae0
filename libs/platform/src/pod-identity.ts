import { hostname } from 'node:os';

/** The pod that serves a response: POD_NAME (downward API on a cluster), else the hostname. */
export function currentPodName(): string {
  return process.env.POD_NAME || hostname();
}
