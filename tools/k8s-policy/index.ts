/**
 * The manifest policy: checks over rendered manifests (and the Dockerfile and skaffold.yaml) that
 * no schema knows, tied to the code where the code decides (routes, ports, environment, shutdown
 * timing). Each check returns its findings as readable lines (`Deployment/cart container cart:
 * ...`); none means it holds. test/k8s/manifests.spec.ts and dockerfile-and-skaffold.spec.ts run
 * them over the real manifests and over deliberately broken copies; tools/image runs the images
 * the way the manifests say.
 */
export * from './availability';
export * from './build';
export * from './code-facts';
export * from './configuration';
export * from './environment';
export * from './names';
export * from './network';
export * from './objects';
export * from './probes';
export * from './redis-sentinel';
export * from './rendering';
export * from './resources';
export * from './routing';
export * from './schemas';
export * from './scraping';
export * from './security';
export * from './selectors';
export * from './shutdown';
