import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { which } from './detect';

/** What decides whether the preflight can install a missing program itself, and how. */
export interface Host {
  platform: NodeJS.Platform;
  /** Debian, Ubuntu or a derivative, with apt-get (on the PATH, or where Debian puts it). */
  apt: boolean;
  root: boolean;
  /** `sudo -n` works (checked only when not root). */
  sudo: boolean;
  /** /var/lib/apt/lists holds no package list yet (a fresh image): `apt-get update` first. */
  aptListsEmpty: boolean;
  /** LAB_NO_INSTALL=1: never install, only say what is missing. */
  noInstall: boolean;
}

function isDebianLike(): boolean {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(release);
  } catch {
    return false;
  }
}

function aptListsEmpty(): boolean {
  try {
    return !readdirSync('/var/lib/apt/lists').some((file) =>
      file.includes('_Packages'),
    );
  } catch {
    return true;
  }
}

const APT_GET = '/usr/bin/apt-get';

/**
 * The PATH apt-get runs with: the user's, then the system's own directories (dpkg needs
 * ldconfig and friends from sbin, which a user's PATH may lack).
 */
export const systemPath = (path = '') =>
  [path, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']
    .filter(Boolean)
    .join(':');

/** True when the variable is set to anything but empty, `0` or `false`. */
export const isSet = (value: string | undefined) =>
  value !== undefined && !['', '0', 'false'].includes(value);

export function detectHost(env: NodeJS.ProcessEnv = process.env): Host {
  const root = process.getuid?.() === 0;
  const apt =
    process.platform === 'linux' &&
    isDebianLike() &&
    (which('apt-get', env.PATH) !== undefined || existsSync(APT_GET));
  const sudo =
    !root &&
    apt &&
    which('sudo', env.PATH) !== undefined &&
    spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', env, timeout: 5000 })
      .status === 0;
  return {
    platform: process.platform,
    apt,
    root,
    sudo,
    aptListsEmpty: apt && aptListsEmpty(),
    noInstall: isSet(env.LAB_NO_INSTALL),
  };
}
