# A Sentinel is ready when it names a primary for the master the apps ask for.
answer=$(timeout 2 redis-cli -p 26379 --raw sentinel get-master-addr-by-name "$SENTINEL_MASTER_NAME" | head -n 1) || exit 1
[ -n "$answer" ] || {
  echo "no primary known for $SENTINEL_MASTER_NAME"
  exit 1
}
