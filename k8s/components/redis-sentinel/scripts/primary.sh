# Sourced by the other scripts (busybox sh: the redis:*-alpine image's, and the cluster's stand-in).
# Which node is the primary, in the Sentinels' word: every Sentinel of the set that answers is
# asked, and the name most of them give wins (a Sentinel that has just started may still name
# its configured default). Prints nothing when no Sentinel answers or none knows the master.
#
# Environment (set by the StatefulSet): POD_NAME (downward API), HEADLESS_SERVICE, REDIS_NODES,
# SENTINEL_MASTER_NAME.

SET_NAME=${POD_NAME%-*}
ORDINAL=${POD_NAME##*-}
# This pod's stable name (the headless Service publishes it for ready and unready pods alike):
# what the node announces to the Sentinels, what the Sentinels announce to the clients.
ME="$POD_NAME.$HEADLESS_SERVICE"
FIRST="$SET_NAME-0.$HEADLESS_SERVICE"

# $1: the ordinal to leave out (this pod's own Sentinel), or nothing.
primary_by_sentinels() {
  i=0
  answers=''
  while [ "$i" -lt "$REDIS_NODES" ]; do
    if [ "$i" != "${1:-}" ]; then
      # `timeout`: a peer whose name still resolves to a vanished address must not hang the start.
      answer=$(timeout 2 redis-cli -h "$SET_NAME-$i.$HEADLESS_SERVICE" -p 26379 --raw \
        sentinel get-master-addr-by-name "$SENTINEL_MASTER_NAME" 2>/dev/null | head -n 1) ||
        answer=''
      case "$answer" in
        '' | *' '* | ERR* | *rror*) ;;
        *) answers="$answers$answer
" ;;
      esac
    fi
    i=$((i + 1))
  done
  printf '%s' "$answers" | sort | uniq -c | sort -rn | head -n 1 | awk '{ print $2 }'
}
