/**
 * skaffold's after-build hook for the `local-cluster` profile (skaffold.yaml): the image it just
 * built through podman's Docker API ($SKAFFOLD_IMAGE) goes into the node's containerd, under the
 * name the kubelet will look for (docker.io/... for a short name), since there is no registry.
 */
import {
  clusterPodman,
  imageId,
  importImages,
  qualifiedImageName,
} from './images';

async function main(): Promise<void> {
  const image = process.env.SKAFFOLD_IMAGE;
  if (!image)
    throw new Error('SKAFFOLD_IMAGE is not set: this is a skaffold build hook');
  const podman = clusterPodman();
  // skaffold deploys an image it did not push as <name>:<image id> (so that every build, even
  // under the same tag, is a new image to the kubelet): import both names.
  const id = await imageId(podman, image);
  const names = [
    qualifiedImageName(image),
    qualifiedImageName(`${image.replace(/:[^:/]+$/, '')}:${id}`),
  ];
  for (const name of names) await podman.must(['tag', image, name]);
  await importImages(podman, names, (line) =>
    console.log(`import-image: ${line} (${names.join(', ')})`),
  );
}

main().catch((error: Error) => {
  console.error(`import-image: ${error.message}`);
  process.exit(1);
});
