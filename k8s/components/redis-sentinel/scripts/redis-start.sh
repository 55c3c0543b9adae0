# The Redis container's start: decide this node's role, then exec redis-server with the
# StatefulSet's arguments ("$@") and the role's. It runs at every start of the container, not
# once per pod as an init container would: the kubelet restarts a crashed container in place
# without rerunning init containers, and a node that comes back after a failover must follow
# the new primary, not the one it was told about when the pod began.
#   - a Sentinel names the primary: follow it (or be it, if it names this pod);
#   - no Sentinel knows one (a new set, or every Sentinel gone): the first pod, redis-0, is the
#     primary and the others replicate it.
set -eu
. /scripts/primary.sh

primary=$(primary_by_sentinels)
if [ -z "$primary" ]; then
  primary=$FIRST
  echo "no Sentinel names a primary: starting as $([ "$ORDINAL" = 0 ] && echo 'the primary' || echo "a replica of $primary") (pod ordinal $ORDINAL)"
else
  echo "the Sentinels name $primary as the primary"
fi

if [ "$primary" = "$ME" ]; then
  set -- "$@" --replica-announce-ip "$ME" --replica-announce-port 6379
else
  set -- "$@" --replica-announce-ip "$ME" --replica-announce-port 6379 --replicaof "$primary" 6379
fi
exec redis-server "$@"
