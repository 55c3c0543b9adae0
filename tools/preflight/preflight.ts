/**
 * The preflight every entry point runs first: are the programs this command needs here? What
 * is missing it installs itself where it can (Debian/Ubuntu as root or with passwordless sudo,
 * `apt-get install -y`, unless LAB_NO_INSTALL=1), saying so first; for the rest it prints one
 * line per program with the command that gets it, and the command stops before starting anything.
 */
import { spawnSync } from 'node:child_process';
import { detect, type Finding } from './detect';
import { detectHost, systemPath, type Host } from './host';
import { describe, planPreflight, type InstallPlan } from './plan';
import { PROGRAMS, type ProgramName } from './programs';

export interface PreflightOptions {
  env?: NodeJS.ProcessEnv;
  /** Where progress goes (the install announcement, apt-get's commands, what got installed). */
  log?: (line: string) => void;
  /** This machine as the preflight sees it (default: detected). */
  host?: Host;
}

const lastLine = (text: string) =>
  text.trim().split('\n').filter(Boolean).at(-1) ?? '(no output)';

/** One apt-get command, its output shown as it goes; the reason in one line when it fails. */
function run(
  argv: string[],
  log: (line: string) => void,
  env: NodeJS.ProcessEnv,
): string | undefined {
  log(`  ${argv.join(' ')}`);
  const result = spawnSync(argv[0], argv.slice(1), {
    env: {
      ...env,
      PATH: systemPath(env.PATH),
      DEBIAN_FRONTEND: 'noninteractive',
    },
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (result.error)
    return `${argv.join(' ')} could not run: ${result.error.message}`;
  if (result.status !== 0)
    return `${argv.join(' ')} failed (${result.signal ?? `exit ${result.status}`}): ${lastLine(result.stderr)}`;
  return undefined;
}

function installedVersion(pkg: string, env: NodeJS.ProcessEnv): string {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], {
    env: { ...env, PATH: systemPath(env.PATH) },
    encoding: 'utf8',
  });
  return result.status === 0 ? result.stdout.trim() : '(version unknown)';
}

/** Runs the plan; the reason it failed, or undefined. Lists too old for a package: update, retry. */
function install(
  plan: InstallPlan,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const started = performance.now();
  log(plan.announcement);
  if (plan.update) {
    const failed = run(plan.update, log, env);
    if (failed) return failed;
  }
  let failed = run(plan.install, log, env);
  if (failed && !plan.update) {
    // Package lists from an old image name versions the mirror no longer has.
    const update = [
      ...plan.install.slice(0, plan.install.indexOf('apt-get')),
      'apt-get',
      'update',
      '-q',
    ];
    log('  (failed: updating the package lists and trying once more)');
    failed = run(update, log, env) ?? run(plan.install, log, env);
  }
  if (failed) return failed;
  for (const pkg of plan.packages)
    log(`installed ${pkg} ${installedVersion(pkg, env)}`);
  log(`installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return undefined;
}

/**
 * The preflight without exiting: the lines that stop `command` ([] when it can go on). `needs`
 * are names from PROGRAMS; `command` starts every line (`npm start: redis-server is not ...`).
 */
export function runPreflight(
  command: string,
  needs: readonly ProgramName[],
  options: PreflightOptions = {},
): string[] {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const look = (name: ProgramName): Finding =>
    detect(name, PROGRAMS[name], env);
  const findings = [...new Set(needs)].map(look);
  if (findings.every((finding) => finding.state === 'found')) return [];

  const plan = planPreflight(
    command,
    findings,
    options.host ?? detectHost(env),
  );
  if (!plan.install) return plan.problems;
  const failed = install(plan.install, log, env);
  if (failed) return [...plan.problems, `${command}: ${failed}`];
  const stillAbsent = (plan.install.programs as ProgramName[])
    .map(look)
    .filter((finding) => finding.state !== 'found')
    .map(
      (finding) =>
        `${command}: ${describe(finding)}, even after apt-get install ${finding.program.debian}`,
    );
  return [...plan.problems, ...stillAbsent];
}

/** The preflight: returns when `command` can go on; else prints why, one line each, and exits 1. */
export function preflight(
  command: string,
  needs: readonly ProgramName[],
  options: PreflightOptions = {},
): void {
  const problems = runPreflight(command, needs, options);
  if (!problems.length) return;
  for (const line of problems) console.error(line);
  process.exit(1);
}
