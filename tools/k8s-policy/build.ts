/**
 * Checks on how the images are built and deployed: the Dockerfile (lint, stages, user, command)
 * and skaffold.yaml (official schema, artifacts ↔ Dockerfile targets ↔ Deployment images).
 * Like the manifest checks (index.ts), each returns readable findings; none means it holds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { BUILT_APPS } from '../build/ensure-built';
import type { CodeFacts } from './code-facts';
import { workloadsOf } from './objects';
import { type KubernetesObject, ROOT } from './rendering';

// ---------------------------------------------------------------------------------------------
// Dockerfile

export interface DockerInstruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  argument: string;
  line: number;
}

export interface DockerStage {
  /** `FROM <image> AS <name>`: the name, if any. */
  name?: string;
  from: string;
  instructions: DockerInstruction[];
}

/** Instructions grouped by stage; comments and line continuations handled as Docker does. */
export function parseDockerfile(text: string): DockerStage[] {
  const instructions: DockerInstruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && !pending)) return;
    const continued = line.endsWith('\\');
    const content = continued ? line.slice(0, -1) : line;
    pending = pending
      ? { ...pending, text: `${pending.text} ${content}` }
      : { text: content, line: index + 1 };
    if (continued) return;
    const [keyword, ...rest] = pending.text.trim().split(/\s+/);
    instructions.push({
      keyword: keyword.toUpperCase(),
      argument: rest.join(' '),
      line: pending.line,
    });
    pending = undefined;
  });
  const stages: DockerStage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.argument
        .split(/\s+/)
        .filter((word) => !word.startsWith('--platform'));
      stages.push({
        from,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/** The stage and every stage it builds on (`FROM <stage>`), nearest first. */
function lineageOf(stages: DockerStage[], target: string): DockerStage[] {
  const lineage: DockerStage[] = [];
  let stage = stages.find((candidate) => candidate.name === target);
  while (stage && !lineage.includes(stage)) {
    lineage.push(stage);
    const parent = stage.from;
    stage = stages.find((candidate) => candidate.name === parent);
  }
  return lineage;
}

/** The last value an instruction takes in a target's image (inherited through its stages). */
function effective(
  stages: DockerStage[],
  target: string,
  keyword: string,
): DockerInstruction | undefined {
  for (const stage of lineageOf(stages, target)) {
    const found = stage.instructions.filter(
      (instruction) => instruction.keyword === keyword,
    );
    if (found.length > 0) return found.at(-1);
  }
  return undefined;
}

function environmentOf(
  stages: DockerStage[],
  target: string,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const stage of lineageOf(stages, target).reverse())
    for (const instruction of stage.instructions)
      if (instruction.keyword === 'ENV')
        for (const [, key, value] of instruction.argument.matchAll(
          /([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g,
        ))
          environment[key] = value.replace(/^"|"$/g, '');
  return environment;
}

/** dockerfile-utils' linter: invalid instructions, flags and arguments (errors and warnings). */
export function dockerfileLintProblems(text: string): string[] {
  return lintDockerfile(text).map(
    (diagnostic) =>
      `Dockerfile:${diagnostic.range.start.line + 1}: ${diagnostic.message}`,
  );
}

const SECRET_NAME =
  /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|API_?KEY|CREDENTIAL)/i;

/**
 * Each app has a target stage whose image runs, as a non-root numeric user, exactly the entry
 * point `nest build` produces, in exec form (node is PID 1 and receives SIGTERM itself), with
 * NODE_ENV=production and the port it EXPOSEs equal to PORT. No ARG or ENV carries a secret.
 */
export function checkDockerfile(text: string, facts: CodeFacts): string[] {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  for (const app of BUILT_APPS) {
    if (!stages.some((stage) => stage.name === app)) {
      problems.push(`Dockerfile: no target stage "${app}"`);
      continue;
    }
    const user = effective(stages, app, 'USER')?.argument;
    const uid = user?.split(':')[0];
    if (!user)
      problems.push(`Dockerfile target ${app}: no USER (runs as root)`);
    else if (!/^\d+$/.test(uid ?? ''))
      problems.push(
        `Dockerfile target ${app}: USER ${user} is not numeric; the kubelet cannot verify runAsNonRoot`,
      );
    else if (Number(uid) === 0)
      problems.push(`Dockerfile target ${app}: USER ${user} is root`);
    const command = effective(stages, app, 'CMD')?.argument;
    let argv: unknown;
    try {
      argv = JSON.parse(command ?? '');
    } catch {
      argv = undefined;
    }
    const expected = ['node', facts.apps[app].builtEntryPoint];
    if (!Array.isArray(argv))
      problems.push(
        `Dockerfile target ${app}: CMD ${command} is not exec form (a shell would be PID 1 and swallow SIGTERM)`,
      );
    else if (JSON.stringify(argv) !== JSON.stringify(expected))
      problems.push(
        `Dockerfile target ${app}: CMD ${JSON.stringify(argv)} (expected ${JSON.stringify(expected)})`,
      );
    if (effective(stages, app, 'ENTRYPOINT'))
      problems.push(
        `Dockerfile target ${app}: an ENTRYPOINT would wrap the CMD`,
      );
    const environment = environmentOf(stages, app);
    if (environment.NODE_ENV !== 'production')
      problems.push(`Dockerfile target ${app}: NODE_ENV is not production`);
    const exposed = effective(stages, app, 'EXPOSE')?.argument;
    if (exposed === undefined || exposed.split('/')[0] !== environment.PORT)
      problems.push(
        `Dockerfile target ${app}: EXPOSE ${exposed} differs from PORT ${environment.PORT}`,
      );
  }
  for (const stage of stages)
    for (const instruction of stage.instructions)
      if (
        ['ARG', 'ENV'].includes(instruction.keyword) &&
        SECRET_NAME.test(instruction.argument.split(/[=\s]/)[0])
      )
        problems.push(
          `Dockerfile:${instruction.line}: ${instruction.keyword} ${instruction.argument.split(/[=\s]/)[0]} looks like a secret; secrets never go into an image`,
        );
  return problems;
}

// ---------------------------------------------------------------------------------------------
// skaffold.yaml

export interface SkaffoldConfig {
  apiVersion?: string;
  build?: {
    artifacts?: {
      image: string;
      docker?: { dockerfile?: string; target?: string };
    }[];
  };
  manifests?: {
    kustomize?: { paths?: string[] };
    hooks?: { before?: { host?: { command?: string[] } }[] };
  };
  profiles?: {
    name: string;
    activation?: { kubeContext?: string }[];
    patches?: { op: string; path: string; value?: unknown }[];
  }[];
}

let skaffoldSchemaValidator: ReturnType<Ajv['compile']> | undefined;

/** The official skaffold/v4beta14 JSON schema: unknown properties, wrong types, missing fields. */
export function skaffoldSchemaProblems(config: unknown): string[] {
  if (!skaffoldSchemaValidator) {
    const schema = JSON.parse(
      readFileSync(join(ROOT, 'schemas', 'skaffold-v4beta14.json'), 'utf8'),
    ) as object;
    // strict: false tolerates the schema's own vendor keywords (x-intellij-html-description, ...).
    skaffoldSchemaValidator = new Ajv({
      strict: false,
      allErrors: true,
    }).compile(schema);
  }
  if (skaffoldSchemaValidator(config)) return [];
  // The schema's anyOf branches repeat each complaint; report each distinct one once.
  return [
    ...new Set(
      (skaffoldSchemaValidator.errors ?? [])
        .filter((error) => error.keyword !== 'anyOf')
        .map((error) =>
          error.keyword === 'additionalProperties'
            ? `skaffold.yaml${error.instancePath || '/'}: unknown property "${String(error.params.additionalProperty)}"`
            : `skaffold.yaml${error.instancePath || '/'}: ${error.message}`,
        ),
    ),
  ];
}

const imageName = (image: string | undefined) =>
  (image ?? '').replace(/@.*$/, '').replace(/:[^/:]+$/, '');

/**
 * Every artifact builds a real Dockerfile target into an image a workload uses; every image a
 * workload uses is either built here or pinned to a release (never `latest` or untagged);
 * the kustomize paths exist; kind and minikube profiles activate by kube-context; the secret
 * generator runs before rendering.
 */
export function checkSkaffold(
  config: SkaffoldConfig,
  dockerfile: string,
  objects: KubernetesObject[],
): string[] {
  const problems: string[] = [];
  const targets = parseDockerfile(dockerfile)
    .map((stage) => stage.name)
    .filter(Boolean);
  const artifacts = config.build?.artifacts ?? [];
  const used = new Set(
    workloadsOf(objects).flatMap((workload) =>
      workload.pod.containers.map((container) => container.image ?? ''),
    ),
  );
  for (const artifact of artifacts) {
    const dockerfilePath = artifact.docker?.dockerfile ?? 'Dockerfile';
    if (!existsSync(join(ROOT, dockerfilePath)))
      problems.push(
        `skaffold artifact ${artifact.image}: ${dockerfilePath} does not exist`,
      );
    if (!artifact.docker?.target)
      problems.push(
        `skaffold artifact ${artifact.image}: no docker target (it would build the last stage)`,
      );
    else if (!targets.includes(artifact.docker.target))
      problems.push(
        `skaffold artifact ${artifact.image}: target ${artifact.docker.target} is not a Dockerfile stage (${targets.join(', ')})`,
      );
    if (![...used].some((image) => imageName(image) === artifact.image))
      problems.push(
        `skaffold artifact ${artifact.image}: no workload uses this image`,
      );
  }
  for (const image of used) {
    if (artifacts.some((artifact) => artifact.image === imageName(image)))
      continue;
    const tag = /:([^/:@]+)$/.exec(image.replace(/@.*$/, ''))?.[1];
    if (!image.includes('@sha256:') && (!tag || tag === 'latest'))
      problems.push(
        `image ${image}: neither built by skaffold nor pinned to a release`,
      );
  }
  const kustomizePaths = [
    ...(config.manifests?.kustomize?.paths ?? []),
    ...(config.profiles ?? []).flatMap((profile) =>
      (profile.patches ?? [])
        .filter((patch) => patch.path.startsWith('/manifests/kustomize/paths'))
        .map((patch) => String(patch.value)),
    ),
  ];
  for (const path of kustomizePaths)
    if (!existsSync(join(ROOT, path, 'kustomization.yaml')))
      problems.push(`skaffold kustomize path ${path}: no kustomization.yaml`);
  for (const context of ['kind', 'minikube'])
    if (
      !(config.profiles ?? []).some(
        (profile) =>
          profile.name === context &&
          (profile.activation ?? []).some((activation) =>
            new RegExp(`^(${activation.kubeContext ?? '$^'})$`).test(
              context === 'kind' ? 'kind-what-survives' : 'minikube',
            ),
          ),
      )
    )
      problems.push(
        `skaffold: no "${context}" profile activated by its kube-context`,
      );
  const hooks = (config.manifests?.hooks?.before ?? []).map((hook) =>
    (hook.host?.command ?? []).join(' '),
  );
  const generator = 'tools/secrets/generate-dev-secrets.ts';
  if (!hooks.some((command) => command.includes(generator)))
    problems.push(
      `skaffold: no before-render hook runs ${generator} (the overlay's secret files would be missing)`,
    );
  if (!existsSync(join(ROOT, generator)))
    problems.push(`skaffold: ${generator} does not exist`);
  return problems;
}
