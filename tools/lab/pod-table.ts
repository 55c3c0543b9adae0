import type { PodInfo } from './pod';

function age(startedAt: string): string {
  const seconds = Math.max(
    0,
    Math.round((Date.now() - Date.parse(startedAt)) / 1000),
  );
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

/**
 * STATUS as kubectl shows it: a container that ended and waits for its restart shows why it
 * ended (`OOMKilled`, `Completed`, `Error`); once it runs again, `Running` (RESTARTS says it).
 */
export function displayStatus(pod: PodInfo): string {
  return pod.status === 'Restarting' && pod.lastTermination
    ? pod.lastTermination
    : pod.status;
}

/** `kubectl get pods`-style table. */
export function formatPodTable(pods: PodInfo[]): string {
  const rows = [
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'PID', 'PORT'],
    ...pods.map((pod) => [
      pod.name,
      pod.ready ? '1/1' : '0/1',
      displayStatus(pod),
      String(pod.restarts),
      age(pod.startedAt),
      String(pod.pid ?? '-'),
      String(pod.port),
    ]),
  ];
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((row) => row[column].length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}
