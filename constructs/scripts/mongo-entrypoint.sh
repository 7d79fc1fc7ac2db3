#!/bin/sh
# mega8s: runs mongod (the container's args) and, next to it, the idempotent init step.
# The shell only passes SIGTERM on to mongod, which steps down if it is primary and stops cleanly.
set -u
"$@" &
mongod_pid=$!
trap 'kill -TERM "$mongod_pid" 2>/dev/null' TERM INT
mongosh --nodb --quiet --norc --file /etc/mongo-scripts/init-replica-set.js &
init_pid=$!
status=0
while kill -0 "$mongod_pid" 2>/dev/null; do
  wait "$mongod_pid"
  status=$?
done
kill "$init_pid" 2>/dev/null
exit "$status"
