/** Every response of every service names the pod that served it. */
export const POD_NAME_HEADER = 'x-pod-name';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAY_HEADER = 'idempotent-replayed';
