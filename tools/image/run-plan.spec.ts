import { join } from 'node:path';
import { DEPLOYMENT_NAMES } from '../deployments';
import {
  workloadsOf,
  ensureDevSecrets,
  renderKustomization,
  ROOT,
} from '../k8s-policy';
import { cpuQuantity, planRun, quantityToMiB, type RunPlan } from './run-plan';

describe('planRun: the dev overlay read the way the kubelet runs it', () => {
  let plans: Map<string, RunPlan>;

  beforeAll(() => {
    ensureDevSecrets();
    const objects = renderKustomization(join(ROOT, 'k8s', 'overlays', 'dev'));
    plans = new Map(
      workloadsOf(objects)
        .map((workload) => planRun(workload, objects))
        .map((plan) => [plan.workload, plan]),
    );
  });

  it('plans every app Deployment, with no problem', () => {
    expect([...plans.keys()].sort()).toEqual(
      expect.arrayContaining([...DEPLOYMENT_NAMES]),
    );
    for (const name of DEPLOYMENT_NAMES)
      expect(plans.get(name)?.problems).toEqual([]);
  });

  it('takes user, filesystem, capabilities, probes and timing from the manifests', () => {
    expect(plans.get('order')).toMatchObject({
      image: 'what-survives/order',
      user: 10001,
      group: 10001,
      readOnlyRootFilesystem: true,
      dropAllCapabilities: true,
      noNewPrivileges: true,
      containerPort: 3000,
      livenessPath: '/healthz/live',
      readinessPath: '/healthz/ready',
      terminationGracePeriodSeconds: 30,
      preStopSleepSeconds: 5,
      memoryRequestMiB: 192,
      memoryLimitMiB: 256,
      cpuLimit: 0.5,
      volumes: [{ name: 'tmp', mountPath: '/tmp', emptyDirMiB: 64 }],
    });
    expect(plans.get('order')?.startupBudgetSeconds).toBeGreaterThan(0);
  });

  it('resolves the environment: ConfigMaps, Secrets and the downward API', () => {
    const cartLegacy = plans.get('cart-legacy')?.environment ?? {};
    expect(cartLegacy.SESSION_STORE).toBe('memory');
    expect(cartLegacy.POD_NAME).toBe('cart-legacy-smoke-0');
    expect(cartLegacy.SESSION_SECRETS).toMatch(/^[0-9a-f]{64}/);
    expect(plans.get('cart')?.environment.SESSION_STORE).toBe('redis');
    expect(plans.get('auth')?.environment.AUTH_USERS).toContain('alice:');
  });

  it("projects the signing-key Secret as files readable by the pod's fsGroup only", () => {
    const keys = plans
      .get('auth')
      ?.volumes.find((volume) => volume.files !== undefined);
    expect(keys?.mountPath).toBe(plans.get('auth')?.environment.AUTH_KEYS_DIR);
    expect(keys?.group).toBe(10001);
    expect(keys?.files?.length).toBeGreaterThan(0);
    for (const file of keys?.files ?? []) {
      expect(file.name).toMatch(/\.pem$/);
      expect(file.mode).toBe(0o440);
      expect(file.content).toContain('PRIVATE KEY');
    }
  });
});

describe('cpuQuantity', () => {
  it.each([
    ['500m', 0.5],
    ['1', 1],
    [2, 2],
  ])('%s → %d CPU', (quantity, cpus) => {
    expect(cpuQuantity(quantity)).toBe(cpus);
  });
});

describe('quantityToMiB', () => {
  it.each([
    ['64Mi', 64],
    ['1Gi', 1024],
    ['512Ki', 0.5],
    [String(2 * 1024 * 1024), 2],
  ])('%s → %d MiB', (quantity, mib) => {
    expect(quantityToMiB(quantity)).toBeCloseTo(mib);
  });

  it('refuses what is not a quantity', () => {
    expect(() => quantityToMiB('lots')).toThrow(/not a quantity/);
    expect(() => quantityToMiB('3Zi')).toThrow(/unknown unit/);
  });
});
