import type { Host } from './host';

/** For the specs: Debian as root, package lists present, installing allowed. */
export const DEBIAN_ROOT: Host = {
  platform: 'linux',
  apt: true,
  root: true,
  sudo: false,
  aptListsEmpty: false,
  noInstall: false,
};
