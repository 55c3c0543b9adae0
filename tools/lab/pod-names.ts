import { randomBytes } from 'node:crypto';

// Kubernetes' name suffix alphabet: no vowels or look-alikes, so names never spell words.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function suffix(length: number): string {
  return [...randomBytes(length)]
    .map((byte) => ALPHABET[byte % ALPHABET.length])
    .join('');
}

/** A ReplicaSet-like hash, fixed for the life of a stack: `order-7f9c2-…`. */
export function replicaSetHash(): string {
  return suffix(5);
}

/** A Deployment pod's name, as a ReplicaSet makes it: `<app>-<rs hash>-<5 random>`. */
export function podName(app: string, hash: string): string {
  return `${app}-${hash}-${suffix(5)}`;
}
