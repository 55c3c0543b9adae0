/**
 * `npm run dashboard`: the lab dashboard on its own port, for a stack `npm start` did not start
 * here — a cluster above all (`npm start` already serves it at /_lab/ui of the local stack).
 *
 *   npm run dashboard -- --target k8s --url http://127.0.0.1:8080 [--context C] [--namespace N]
 *                        [--port 8090] [--users alice:alice,bob:bob]
 * The first user is "you", the second the virtual users' account (on a cluster: the users of
 * your dev secrets). Pods and kills go through the cluster driver; traffic through --url.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import type { ClusterDriver } from '../drivers/cluster-driver';
import { KubernetesDriver } from '../drivers/k8s-driver';
import { LocalDriver } from '../drivers/local-driver';
import { foreignRequestError, LabHttpError } from '../lab/lab-request';
import { DEMO_USERS } from '../lab/local-stack';
import { accountsOf, Dashboard } from './dashboard';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'k8s' },
      url: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      port: { type: 'string', default: '8090' },
      users: { type: 'string', default: DEMO_USERS },
    },
  });
  if (!values.url)
    throw new Error('--url is required: the entry point (Ingress/Gateway) URL');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error('--port must be a port number');
  let driver: ClusterDriver;
  if (values.target === 'k8s') {
    driver = await KubernetesDriver.connect({
      baseUrl: values.url,
      context: values.context,
      namespace: values.namespace,
    });
  } else if (values.target === 'local') {
    driver = LocalDriver.attach(values.url);
  } else {
    throw new Error('--target must be k8s or local');
  }
  const [demoUser, loadUser] = accountsOf(values.users);
  const dashboard = new Dashboard({ driver, demoUser, loadUser });
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) return void response.writeHead(413).end();
      chunks.push(chunk as Buffer);
    }
    const answer = (error: LabHttpError) => {
      response.writeHead(error.statusCode, {
        'content-type': 'application/json; charset=utf-8',
      });
      response.end(JSON.stringify(error.body));
    };
    // The same rule as the local stack's lab API: this dashboard deletes pods of a cluster.
    const foreign = foreignRequestError(request);
    if (foreign) return answer(foreign);
    try {
      if (!(await dashboard.handle(request, response, Buffer.concat(chunks))))
        answer(
          new LabHttpError(
            404,
            `no route for ${request.method} ${request.url}; the page is /_lab/ui`,
          ),
        );
    } catch (error) {
      if (!(error instanceof LabHttpError)) throw error;
      answer(error);
    }
  });
  server.listen(port, '127.0.0.1', () =>
    console.log(
      `dashboard     http://127.0.0.1:${port}/_lab/ui   (${driver.target}: traffic through ${driver.baseUrl})\nCtrl-C stops it.`,
    ),
  );
  const stop = async () => {
    await dashboard.close();
    server.closeAllConnections();
    server.close();
    await driver.close();
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: Error) => {
  console.error(`dashboard: ${error.message}`);
  process.exit(1);
});
