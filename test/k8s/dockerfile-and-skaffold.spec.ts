import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  checkDockerfile,
  checkSkaffold,
  dockerfileLintProblems,
  parseDockerfile,
  type SkaffoldConfig,
  skaffoldSchemaProblems,
  codeFacts,
  copyOf,
  ensureDevSecrets,
  K8S_DIR,
  type KubernetesObject,
  renderKustomization,
  ROOT,
} from '../../tools/k8s-policy';

/**
 * The Dockerfile and skaffold.yaml, checked offline: lint and schema, then tied to the code (the
 * entry point nest builds) and to the manifests (the images the Deployments run). Then the same
 * checks shown failing on broken copies.
 */

const facts = codeFacts();
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const skaffoldText = readFileSync(join(ROOT, 'skaffold.yaml'), 'utf8');
const skaffold = parse(skaffoldText) as SkaffoldConfig;
/** A copy to break freely; the checks take it back as a SkaffoldConfig. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const editableSkaffold = (): any => copyOf(skaffold);
let manifests: KubernetesObject[] = [];

beforeAll(() => {
  ensureDevSecrets();
  manifests = renderKustomization(join(K8S_DIR, 'overlays', 'dev'));
});

describe('Dockerfile', () => {
  it('lints clean (dockerfile-utils)', () => {
    expect(dockerfileLintProblems(dockerfile)).toEqual([]);
  });

  it('has one target per app running its nest build output as non-root PID 1', () => {
    expect(checkDockerfile(dockerfile, facts)).toEqual([]);
  });

  it('ships each app as its bundle only: no node_modules, no install in the image stages', () => {
    const stages = parseDockerfile(dockerfile);
    const shipped = ['runtime', ...Object.keys(facts.apps)];
    for (const stage of stages.filter((candidate) =>
      shipped.includes(candidate.name ?? ''),
    )) {
      const copies = stage.instructions
        .filter((instruction) => instruction.argument.startsWith('--from='))
        .map((instruction) => instruction.argument);
      const app = stage.name as keyof typeof facts.apps;
      expect(copies).toEqual(
        stage.name === 'runtime'
          ? []
          : [
              `--from=build /app/${facts.apps[app].builtEntryPoint} ./${facts.apps[app].builtEntryPoint}`,
            ],
      );
      expect(
        stage.instructions.filter(
          (instruction) =>
            instruction.keyword === 'RUN' &&
            /npm (ci|install)/.test(instruction.argument),
        ),
      ).toEqual([]);
    }
  });
});

describe('skaffold.yaml', () => {
  it('matches the official skaffold/v4beta14 schema', () => {
    expect(skaffold.apiVersion).toBe('skaffold/v4beta14');
    expect(skaffoldSchemaProblems(skaffold)).toEqual([]);
  });

  it('builds real Dockerfile targets into the images the manifests run', () => {
    expect(checkSkaffold(skaffold, dockerfile, manifests)).toEqual([]);
  });

  it('runs the e2e suite against the cluster in the e2e profile', () => {
    const e2e = skaffold.profiles?.find((profile) => profile.name === 'e2e');
    const command = JSON.stringify(e2e?.patches);
    expect(command).toContain('E2E_TARGET=k8s');
    expect(command).toContain('"npm","run","test:e2e"');
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts['test:e2e']).toBeDefined();
  });
});

describe('deliberately broken build configuration is caught by the same checks', () => {
  const one = (pattern: RegExp) =>
    expect.arrayContaining([expect.stringMatching(pattern)]);
  const brokenDockerfile = (from: string, to: string) => {
    if (!dockerfile.includes(from)) throw new Error(`fixture needs "${from}"`);
    return dockerfile.replace(from, to);
  };

  it.each<[string, string, RegExp]>([
    [
      'an invalid port',
      brokenDockerfile('EXPOSE 3000', 'EXPOSE web'),
      /Dockerfile:\d+: .*port/i,
    ],
    [
      'an unknown instruction',
      brokenDockerfile('WORKDIR /app', 'WORKDIRR /app'),
      /Dockerfile:\d+: .*WORKDIRR/i,
    ],
  ])('lint: %s', (_case, text, finding) => {
    expect(dockerfileLintProblems(text)).toEqual(one(finding));
  });

  it.each<[string, string, RegExp]>([
    [
      'a shell-form CMD (a shell would be PID 1)',
      brokenDockerfile(
        'CMD ["node", "dist/apps/order/main.cjs"]',
        'CMD node dist/apps/order/main.cjs',
      ),
      /target order: CMD node .* is not exec form/,
    ],
    [
      'a CMD that is not what the build produces (the unbundled nest output)',
      brokenDockerfile(
        'CMD ["node", "dist/apps/cart/main.cjs"]',
        'CMD ["node", "dist/apps/cart/apps/cart/src/main.js"]',
      ),
      /target cart: CMD .* \(expected \["node","dist\/apps\/cart\/main.cjs"\]\)/,
    ],
    [
      'no USER (root)',
      brokenDockerfile('USER 10001:10001', ''),
      /target auth: no USER \(runs as root\)/,
    ],
    [
      'a user name the kubelet cannot check',
      brokenDockerfile('USER 10001:10001', 'USER node'),
      /target auth: USER node is not numeric/,
    ],
    [
      'USER 0',
      brokenDockerfile('USER 10001:10001', 'USER 0'),
      /target order: USER 0 is root/,
    ],
    [
      'a secret baked into an image',
      brokenDockerfile(
        'ENV NODE_ENV=production',
        'ENV SESSION_SECRETS=x NODE_ENV=production',
      ),
      /ENV SESSION_SECRETS looks like a secret/,
    ],
    [
      'a missing app target',
      brokenDockerfile('FROM runtime AS cart', 'FROM runtime AS carts'),
      /no target stage "cart"/,
    ],
  ])('Dockerfile: %s', (_case, text, finding) => {
    expect(checkDockerfile(text, facts)).toEqual(one(finding));
  });

  it('skaffold: a misspelt property fails the official schema', () => {
    const config = editableSkaffold();
    const artifact = config.build.artifacts[0].docker;
    artifact.dockerfil = artifact.dockerfile;
    delete artifact.dockerfile;
    expect(skaffoldSchemaProblems(config)).toEqual(
      one(/\/build\/artifacts\/0\/docker: unknown property "dockerfil"/),
    );
  });

  it('skaffold: an image no Deployment runs, and a Deployment image nobody builds', () => {
    const config = editableSkaffold();
    config.build.artifacts[2].image = 'what-survives/carts';
    const problems = checkSkaffold(config, dockerfile, manifests);
    expect(problems).toEqual(
      one(/artifact what-survives\/carts: no workload uses this image/),
    );
    expect(problems).toEqual(
      one(/image what-survives\/cart: neither built by skaffold nor pinned/),
    );
  });

  it('skaffold: a target the Dockerfile does not have', () => {
    const config = editableSkaffold();
    config.build.artifacts[1].docker.target = 'orders';
    expect(checkSkaffold(config, dockerfile, manifests)).toEqual(
      one(
        /artifact what-survives\/order: target orders is not a Dockerfile stage/,
      ),
    );
  });

  it('skaffold: a floating third-party image', () => {
    const objects = copyOf(manifests);
    const redis = objects.find((object) => object.kind === 'StatefulSet') as
      | (KubernetesObject & Record<string, any>) // eslint-disable-line @typescript-eslint/no-explicit-any
      | undefined;
    if (redis) redis.spec.template.spec.containers[0].image = 'redis:latest';
    expect(checkSkaffold(skaffold, dockerfile, objects)).toEqual(
      one(/image redis:latest: neither built by skaffold nor pinned/),
    );
  });

  it('skaffold: no secret generator before rendering', () => {
    const config = editableSkaffold();
    delete config.manifests.hooks;
    expect(checkSkaffold(config, dockerfile, manifests)).toEqual(
      one(/no before-render hook runs tools\/secrets\/generate-dev-secrets.ts/),
    );
  });
});
