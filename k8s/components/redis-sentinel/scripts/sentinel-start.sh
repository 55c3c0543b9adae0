# The Sentinel container's start. Sentinel keeps its state (epochs, the current primary, the
# other Sentinels) by rewriting its own file, so the file lives on a volume and is written only
# when there is none: a Sentinel restarted in place resumes with what it had learnt. A new pod
# asks the other Sentinels which node is the primary, and falls back to redis-0 for a new set.
set -eu
. /scripts/primary.sh

CONFIG=/sentinel/sentinel.conf
if [ ! -s "$CONFIG" ]; then
  primary=$(primary_by_sentinels "$ORDINAL")
  [ -n "$primary" ] || primary=$FIRST
  # `sentinel monitor` resolves the name when the file is read, and Sentinel exits if it cannot
  # yet (a pod just created has no DNS record for a moment): wait for the primary to answer,
  # 60 s at most, then start anyway and let the kubelet retry.
  tries=0
  until timeout 2 redis-cli -h "$primary" -p 6379 ping >/dev/null 2>&1 || [ "$tries" -ge 60 ]; do
    tries=$((tries + 1))
    sleep 1
  done
  cat >"$CONFIG" <<CONFIG
port 26379
dir /sentinel
# No password: the NetworkPolicies admit only the apps and the set itself (as for Redis).
protected-mode no
# Names, not pod IPs: a pod comes back with a new IP but the same name.
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $ME
sentinel announce-port 26379
sentinel monitor $SENTINEL_MASTER_NAME $primary 6379 $SENTINEL_QUORUM
sentinel down-after-milliseconds $SENTINEL_MASTER_NAME $SENTINEL_DOWN_AFTER_MS
sentinel failover-timeout $SENTINEL_MASTER_NAME 10000
sentinel parallel-syncs $SENTINEL_MASTER_NAME 1
CONFIG
  echo "new Sentinel: monitoring $SENTINEL_MASTER_NAME at $primary (quorum $SENTINEL_QUORUM)"
else
  echo "resuming from $CONFIG"
fi
exec redis-server "$CONFIG" --sentinel
