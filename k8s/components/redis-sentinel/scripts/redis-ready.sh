# Readiness that knows the role: the primary is ready while it is the primary; a replica is
# ready once its link to the primary is up (before that it has no data to offer, and counting it
# as available would let a drain take the one node that has the data).
info=$(timeout 2 redis-cli -p 6379 info replication) || exit 1
case "$info" in
  *role:master*) exit 0 ;;
  *master_link_status:up*) exit 0 ;;
esac
echo "replica without a link to its primary"
exit 1
