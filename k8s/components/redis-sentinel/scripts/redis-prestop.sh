# preStop of the Redis container (a drain, a rollout, a graceful `kubectl delete pod`): a primary
# hands over before it stops, as Redis's own FAILOVER command does. Writes are paused here first
# (CLIENT PAUSE WRITE: nothing lands on this node that the new primary could miss), then the
# Sentinel beside it fails over at once (SENTINEL FAILOVER) instead of the Sentinels noticing a
# dead primary 1 s later. Once the Sentinels name the new primary (10 s at most), this node
# follows it itself (Sentinel would convert it only after seeing it claim the role for 8 s or
# more); paused writes then fail READONLY and the clients follow the new primary. A replica, or a
# primary no Sentinel can fail over, just stops. A SIGKILL or `--grace-period=0` skips all this.
. /scripts/primary.sh

info=$(timeout 2 redis-cli -p 6379 info replication) || exit 0
case "$info" in
  *role:master*) ;;
  *) exit 0 ;;
esac
timeout 2 redis-cli -p 6379 client pause 12000 write >/dev/null || exit 0
# redis-cli exits 0 on an error reply (NOGOODSLAVE: no replica to promote): read the answer.
answer=$(timeout 2 redis-cli -p 26379 sentinel failover "$SENTINEL_MASTER_NAME")
if [ "$answer" != OK ]; then
  echo "no handover: $answer"
  timeout 2 redis-cli -p 6379 client unpause >/dev/null
  exit 0
fi
i=0
while [ "$i" -lt 20 ]; do
  primary=$(timeout 2 redis-cli -p 26379 --raw sentinel get-master-addr-by-name "$SENTINEL_MASTER_NAME" | head -n 1)
  if [ -n "$primary" ] && [ "$primary" != "$ME" ]; then
    timeout 2 redis-cli -p 6379 replicaof "$primary" 6379 >/dev/null
    echo "handed the primary over to $primary"
    exit 0
  fi
  sleep 0.5
  i=$((i + 1))
done
echo "no new primary named within 10 s"
