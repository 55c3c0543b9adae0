import request from 'supertest';
import type { ServiceProcess } from './service-process';

/** Reads one sample of a metric from a pod's /metrics (0 when the series does not exist yet). */
export async function metricSample(
  pod: ServiceProcess,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = (await request(pod.url).get('/metrics').expect(200)).text;
  const wanted = Object.entries(labels).map(
    ([key, value]) => `${key}="${value}"`,
  );
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        candidate.startsWith(`${name}{`) &&
        wanted.every((label) => candidate.includes(label)),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}
