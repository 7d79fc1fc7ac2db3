#!/usr/bin/env bash
# mega8s node drainer. Waits for the cloud's preemption notice of the node it runs on, then taints
# the node NoSchedule and drains it through the eviction API (PodDisruptionBudgets hold). A drain
# that succeeded is never repeated by this pod; a drain that failed exits non-zero so that the
# kubelet restarts the container and it tries again.
#
# Needs bash, curl, sleep and kubectl (with the pod's in-cluster ServiceAccount credentials).
#
# Environment (times in whole seconds):
#   NODE_NAME                the node to watch and drain (downward API spec.nodeName)  required
#   DRAIN_GRACE_SECONDS      kubectl drain --grace-period                              required
#   DRAIN_TIMEOUT_SECONDS    kubectl drain --timeout                                   required
#   METADATA_URL             the preemption flag, answering TRUE or FALSE
#                            default: GCE's instance/preempted
#   TAINT_KEY                key of the NoSchedule taint put on the node     default: mega8s.io/preempted
#   TAINT_TIMEOUT_SECONDS    request timeout of the taint                    default: 3
#   WATCH_TIMEOUT_SECONDS    longest a long poll may hang (timeout_sec)      default: 300
#   BACKOFF_INITIAL_SECONDS  first wait after a failed metadata request      default: 1
#   BACKOFF_MAX_SECONDS      longest wait between failed requests            default: 30
#   DRAINER_STATE_DIR        writable folder for the "drained" marker and    default: $HOME
#                            the metadata answers (an emptyDir: it outlives container restarts)
set -u -o pipefail

log() {
  local now
  TZ=UTC printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  printf '%s node-drainer: %s\n' "$now" "$*" >&2
}

die() {
  log "error: $*"
  exit 2
}

# int NAME DEFAULT MIN: the named variable as a whole number of at least MIN, or DEFAULT when unset.
int() {
  local name=$1 default=$2 min=$3 value
  value=${!name:-$default}
  [[ $value =~ ^[0-9]+$ ]] || die "$name=\"$value\" is not a whole number of seconds"
  (( 10#$value >= min )) || die "$name=$value is below $min"
  printf '%d' "$((10#$value))"
}

node=${NODE_NAME:-}
[[ -n $node ]] || die 'NODE_NAME is not set: expected the name of this node (downward API spec.nodeName)'
[[ -n ${DRAIN_GRACE_SECONDS:-} ]] || die 'DRAIN_GRACE_SECONDS is not set'
[[ -n ${DRAIN_TIMEOUT_SECONDS:-} ]] || die 'DRAIN_TIMEOUT_SECONDS is not set'
grace=$(int DRAIN_GRACE_SECONDS '' 1) || exit
timeout=$(int DRAIN_TIMEOUT_SECONDS '' 1) || exit
taint_timeout=$(int TAINT_TIMEOUT_SECONDS 3 1) || exit
watch=$(int WATCH_TIMEOUT_SECONDS 300 1) || exit
backoff_initial=$(int BACKOFF_INITIAL_SECONDS 1 1) || exit
backoff_max=$(int BACKOFF_MAX_SECONDS 30 1) || exit
url=${METADATA_URL:-http://metadata.google.internal/computeMetadata/v1/instance/preempted}
[[ $url == http://* || $url == https://* ]] || die "METADATA_URL=\"$url\" is not an http(s) URL"
[[ $url != *'?'* ]] || die "METADATA_URL=\"$url\" has a query: the drainer adds its own"
taint_key=${TAINT_KEY:-mega8s.io/preempted}
state=${DRAINER_STATE_DIR:-${HOME:-}}
[[ -n $state && -d $state && -w $state ]] || die "DRAINER_STATE_DIR=\"$state\" is not a writable folder"
marker=$state/drained

# Signals: while watching or idling, SIGTERM ends the drainer at once. While draining it does not:
# the drain is what the node's last seconds are for, and the kubelet kills the container when its
# grace period is over anyway.
child=
draining=0
interrupted=0
on_signal() {
  if (( draining )); then
    interrupted=1
    log "received a termination signal while draining node $node: finishing the drain"
    return
  fi
  log 'received a termination signal: exiting'
  [[ -n $child ]] && kill "$child" 2>/dev/null
  exit 0
}
trap on_signal TERM INT

# run COMMAND...: runs it in the background and waits for it, so that signals are handled at once;
# sets rc to its exit status.
rc=0
run() {
  "$@" &
  child=$!
  while :; do
    interrupted=0
    wait "$child"
    rc=$?
    (( interrupted )) || break
  done
  child=
}

idle() {
  while :; do
    run sleep 3600
  done
}

drain() {
  draining=1
  log "preemption notice for node $node: tainting it $taint_key=true:NoSchedule, then draining it (--grace-period=$grace --timeout=${timeout}s)"
  run kubectl taint nodes "$node" "$taint_key=true:NoSchedule" --overwrite "--request-timeout=${taint_timeout}s"
  if (( rc != 0 )); then
    log "warning: tainting node $node failed (kubectl exit $rc); draining it anyway (the drain cordons it)"
  fi
  run kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --force "--grace-period=$grace" "--timeout=${timeout}s"
  if (( rc != 0 )); then
    log "error: draining node $node failed (kubectl exit $rc): an eviction may be blocked by a PodDisruptionBudget, or the API server refused; exiting so that the container restarts and drains again"
    exit 1
  fi
  printf '%s\n' "$node" >"$marker" || log "warning: could not write $marker: a restarted container would drain again"
  draining=0
  log "node $node drained; idling until it shuts down"
  idle
}

if [[ -e $marker ]]; then
  log "node $node was already drained by this pod; idling until it shuts down"
  idle
fi

body_file=$state/metadata.body
headers_file=$state/metadata.headers
status_file=$state/metadata.status
etag=
backoff=$backoff_initial

# retry WHY: logs why the last request did not count and waits, doubling the wait up to the maximum.
retry() {
  log "$1; retrying in ${backoff}s (no drain without a notice)"
  run sleep "$backoff"
  backoff=$(( backoff * 2 > backoff_max ? backoff_max : backoff * 2 ))
}

log "watching $url for the preemption notice of node $node"
while :; do
  # The first request reads the flag as it is; the next ones long-poll for a change from the ETag
  # last seen, so that a change between two requests is never missed.
  request=$url
  [[ -n $etag ]] && request="$url?wait_for_change=true&last_etag=$etag&timeout_sec=$watch"
  : >"$body_file"
  : >"$headers_file"
  : >"$status_file"
  run curl --silent --show-error --fail --noproxy '*' --connect-timeout 5 --max-time "$((watch + 30))" \
    --header 'Metadata-Flavor: Google' --dump-header "$headers_file" --output "$body_file" \
    --write-out '%{http_code}' "$request" >"$status_file"
  if (( rc != 0 )); then
    retry "metadata request failed (curl exit $rc, HTTP $(<"$status_file"))"
    continue
  fi
  flavor=
  new_etag=
  while IFS= read -r line; do
    line=${line%$'\r'}
    value=${line#*:}
    value=${value#"${value%%[![:space:]]*}"}
    case ${line,,} in
      metadata-flavor:*) flavor=$value ;;
      etag:*) new_etag=$value ;;
    esac
  done <"$headers_file"
  answer=$(<"$body_file")
  answer=${answer%%[[:space:]]*}
  if [[ $flavor != Google ]]; then
    retry 'the answer lacks the header Metadata-Flavor: Google, so it is not from the metadata server'
    continue
  fi
  case $answer in
    TRUE)
      drain
      ;;
    FALSE)
      if [[ -z $new_etag ]]; then
        retry 'the answer FALSE has no ETag to long-poll with'
        continue
      fi
      etag=$new_etag
      backoff=$backoff_initial
      ;;
    *)
      retry "unexpected answer \"${answer:0:40}\": expected TRUE or FALSE"
      ;;
  esac
done
