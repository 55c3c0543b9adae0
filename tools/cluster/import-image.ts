/**
 * skaffold's after-build hook for the `local-cluster` profile (skaffold.yaml): the image it just
 * built through podman's Docker API ($SKAFFOLD_IMAGE) goes into the node's containerd, under the
 * name the kubelet will look for (docker.io/... for a short name), since there is no registry.
 */
import { clusterPodman, importImages, qualifiedImageName } from './images';

async function main(): Promise<void> {
  const image = process.env.SKAFFOLD_IMAGE;
  if (!image)
    throw new Error('SKAFFOLD_IMAGE is not set: this is a skaffold build hook');
  const podman = clusterPodman();
  const qualified = qualifiedImageName(image);
  if (qualified !== image) await podman.must(['tag', image, qualified]);
  await importImages(podman, [qualified], (line) =>
    console.log(`import-image: ${line} (${qualified})`),
  );
}

main().catch((error: Error) => {
  console.error(`import-image: ${error.message}`);
  process.exit(1);
});
