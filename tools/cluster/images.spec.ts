import { qualifiedImageName, redisImageOf } from './images';

describe('image names as the kubelet looks them up', () => {
  it('expands short names the way the kubelet (and Docker) do', () => {
    expect(qualifiedImageName('what-survives/order:abc')).toBe(
      'docker.io/what-survives/order:abc',
    );
    expect(qualifiedImageName('redis:7.4.6-alpine')).toBe(
      'docker.io/library/redis:7.4.6-alpine',
    );
    expect(qualifiedImageName('registry.k8s.io/pause:3.10.1')).toBe(
      'registry.k8s.io/pause:3.10.1',
    );
    expect(qualifiedImageName('localhost:5000/app:1')).toBe(
      'localhost:5000/app:1',
    );
    expect(qualifiedImageName('localhost/app:1')).toBe('localhost/app:1');
  });

  it('reads the Redis image the StatefulSet names (the stand-in is tagged with it)', () => {
    expect(
      redisImageOf(
        '      containers:\n        - name: redis\n          image: redis:7.4.6-alpine\n',
      ),
    ).toBe('docker.io/library/redis:7.4.6-alpine');
    expect(() => redisImageOf('image: valkey:8')).toThrow(/names no redis/);
  });
});
