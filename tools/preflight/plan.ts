import type { Finding } from './detect';
import type { Host } from './host';

/** apt-get, as root or through passwordless sudo (which keeps DEBIAN_FRONTEND only through env). */
export interface InstallPlan {
  /** Said before anything is installed. */
  announcement: string;
  packages: string[];
  /** The programs the packages provide (to look for again once installed). */
  programs: string[];
  /** `apt-get update`, when the package lists are empty (a fresh image). */
  update?: string[];
  install: string[];
}

export interface Plan {
  install?: InstallPlan;
  /** One line per program the preflight cannot provide here: any → stop, exit 1. */
  problems: string[];
}

/** `redis-server is not on the PATH`, `chromium not found at /usr/bin/chromium (CHROMIUM_PATH)`. */
export function describe(finding: Finding): string {
  const { name, program, state, path, version } = finding;
  if (state === 'too-old')
    return `${name} ${version ?? '(no version reported)'} at ${path} is older than the ${program.minimum} it needs`;
  const { find } = program;
  if ('command' in find) return `${name} is not on the PATH`;
  return `${name} not found at ${path}${find.env ? ` (${find.env})` : ''}`;
}

const canInstall = (host: Host) =>
  host.apt && (host.root || host.sudo) && !host.noInstall;

/** What to type to get the program here, and why the preflight did not do it itself. */
export function remedy(finding: Finding, host: Host): string {
  const { program } = finding;
  const verb =
    finding.state === 'too-old' ? 'install a newer one' : 'install it';
  const orFile =
    'file' in program.find && program.find.env
      ? `, or set ${program.find.env} to one`
      : '';
  const byHand = program.manual ?? 'install it by hand';
  if (host.platform === 'darwin')
    return program.brew
      ? `${verb} with: brew install ${program.brew}${orFile}`
      : byHand;
  if (host.apt) {
    if (!program.debian) return byHand;
    const sudo = host.root ? '' : 'sudo ';
    const why = host.noInstall
      ? ' (LAB_NO_INSTALL=1: not installing it here)'
      : !host.root && !host.sudo
        ? ' (installing needs root or passwordless sudo)'
        : '';
    return `${verb} with: ${sudo}apt-get install ${program.debian}${orFile}${why}`;
  }
  const ways = [
    program.debian && `apt-get install ${program.debian} (Debian/Ubuntu)`,
    program.brew && `brew install ${program.brew} (macOS)`,
    program.manual,
  ].filter(Boolean);
  return ways.length ? `${verb}: ${ways.join('; ')}${orFile}` : byHand;
}

/**
 * What the preflight does about what it found: nothing; install what apt-get can provide
 * (saying so first); and one line, with the command that gets it, for each program it cannot.
 */
export function planPreflight(
  command: string,
  findings: Finding[],
  host: Host,
): Plan {
  const absent = findings.filter((finding) => finding.state !== 'found');
  const installable = canInstall(host)
    ? absent.filter((finding) => finding.program.debian)
    : [];
  const problems = absent
    .filter((finding) => !installable.includes(finding))
    .map(
      (finding) => `${command}: ${describe(finding)}; ${remedy(finding, host)}`,
    );
  if (!installable.length) return { problems };

  const packages = [
    ...new Set(installable.map((finding) => finding.program.debian as string)),
  ];
  const prefix = host.root
    ? []
    : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
  return {
    problems,
    install: {
      announcement: `${command}: ${installable.map(describe).join('; ')}: installing ${packages.join(' ')} with apt-get${host.root ? '' : ' through sudo'} (LAB_NO_INSTALL=1 turns this off)`,
      packages,
      programs: installable.map((finding) => finding.name),
      update: host.aptListsEmpty
        ? [...prefix, 'apt-get', 'update', '-q']
        : undefined,
      // Dpkg::Use-Pty=0: dpkg's "Reading database ... 5%" progress once, not as 20 glued copies.
      install: [
        ...prefix,
        'apt-get',
        'install',
        '-y',
        '-q',
        '-o',
        'Dpkg::Use-Pty=0',
        ...packages,
      ],
    },
  };
}
