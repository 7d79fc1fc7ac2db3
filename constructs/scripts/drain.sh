#!/usr/bin/env bash
# mega8s node drainer. Waits for the cloud's preemption notice of the node it runs on, then
# cordons and taints the node NoSchedule and evicts its pods through the eviction API, many at a
# time (PodDisruptionBudgets hold: a refused eviction is retried until the timeout). A drain that
# succeeded is never repeated by this pod; a drain that failed exits non-zero so that the kubelet
# restarts the container and it tries again.
#
# Why not `kubectl drain`: it throttles itself to 5 requests a second and polls every evicted pod
# on its own, so a node at GKE's 110-pod maximum took most of the 30 s notice even with pods that
# stopped at once. This script sends one cordon-and-taint patch, lists the node's pods once a
# second (from the API server's cache), and sends up to EVICTION_CONCURRENCY evictions at once.
#
# Needs bash, curl 7.66+ (--parallel), jq and sleep, and the pod's ServiceAccount token.
#
# Environment (times in whole seconds):
#   NODE_NAME                the node to watch and drain (downward API spec.nodeName)  required
#   DRAIN_GRACE_SECONDS      grace period of each evicted pod (deleteOptions)          required
#   DRAIN_TIMEOUT_SECONDS    longest the evictions may take, retries included          required
#   METADATA_URL             the preemption flag, answering TRUE or FALSE
#                            default: GCE's instance/preempted
#   TAINT_KEY                key of the NoSchedule taint put on the node     default: mega8s.io/preempted
#   TAINT_TIMEOUT_SECONDS    request timeout of the cordon-and-taint patch   default: 3
#   EVICTION_CONCURRENCY     evictions in flight at once                     default: 10
#   WATCH_TIMEOUT_SECONDS    longest a long poll may hang (timeout_sec)      default: 300
#   BACKOFF_INITIAL_SECONDS  first wait after a failed metadata request      default: 1
#   BACKOFF_MAX_SECONDS      longest wait between failed requests            default: 30
#   DRAINER_STATE_DIR        writable folder for the "drained" marker and    default: $HOME
#                            the answers (an emptyDir: it outlives container restarts)
#   KUBE_API_URL             the API server            default: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
#   KUBE_TOKEN_FILE          bearer token, read anew for each round of requests
#                            default: /var/run/secrets/kubernetes.io/serviceaccount/token
#   KUBE_CA_FILE             CA of an https API server  default: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
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
concurrency=$(int EVICTION_CONCURRENCY 10 1) || exit
api=${KUBE_API_URL:-}
if [[ -z $api ]]; then
  [[ -n ${KUBERNETES_SERVICE_HOST:-} && -n ${KUBERNETES_SERVICE_PORT:-} ]] \
    || die 'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: expected to run in a pod (or KUBE_API_URL)'
  api_host=$KUBERNETES_SERVICE_HOST
  [[ $api_host == *:* ]] && api_host="[$api_host]"
  api="https://$api_host:$KUBERNETES_SERVICE_PORT"
fi
api=${api%/}
[[ $api == http://* || $api == https://* ]] || die "KUBE_API_URL=\"$api\" is not an http(s) URL"
token_file=${KUBE_TOKEN_FILE:-/var/run/secrets/kubernetes.io/serviceaccount/token}
[[ -r $token_file ]] || die "KUBE_TOKEN_FILE=\"$token_file\" is not a readable file: expected the ServiceAccount token"
ca_file=${KUBE_CA_FILE:-/var/run/secrets/kubernetes.io/serviceaccount/ca.crt}
tls=()
if [[ $api == https://* ]]; then
  [[ -r $ca_file ]] || die "KUBE_CA_FILE=\"$ca_file\" is not a readable file: expected the API server's CA"
  tls=(--cacert "$ca_file")
fi
command -v jq >/dev/null || die 'jq is not installed: the drainer reads the answers of the API server with it'
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

# api OUT METHOD PATH MAX_TIME [CURL ARGS...]: one API request as the ServiceAccount; the answer
# goes to OUT, the HTTP status (000 without an answer) to stdout. The token travels through a
# pipe, never on a command line.
api() {
  local out=$1 method=$2 path=$3 max_time=$4
  shift 4
  curl --silent --noproxy '*' --connect-timeout 3 --max-time "$max_time" "${tls[@]}" \
    --header @<(printf 'Authorization: Bearer %s\n' "$(<"$token_file")") --header 'Accept: application/json' \
    --request "$method" --output "$out" --write-out '%{http_code}' "$@" "$api$path"
}

# evict_all LIST MAX_TIME: asks the eviction API to evict every pod of LIST ("namespace name" a
# line) with the drain's grace period, all through one curl with at most $concurrency requests in
# flight (one process, however many pods: a preempted node has little CPU to spare). Writes
# "<HTTP status> <namespace>/<name>" a line to $state/evictions.txt. Names are DNS names: they need
# no escaping in a URL or in JSON. The curl config, which holds the token, travels through a pipe.
evict_all() {
  local ns name token block config='' cacert=''
  token=$(<"$token_file")
  (( ${#tls[@]} )) && cacert="cacert = \"$ca_file\""
  while read -r ns name; do
    # One transfer of the config ("next" separates them); \" and \n are the config's escapes.
    printf -v block '%s\n' \
      "url = \"$api/api/v1/namespaces/$ns/pods/$name/eviction\"" \
      "header = \"Authorization: Bearer $token\"" \
      'header = "Content-Type: application/json"' \
      'header = "Accept: application/json"' \
      "data-binary = \"{\\\"apiVersion\\\":\\\"policy/v1\\\",\\\"kind\\\":\\\"Eviction\\\",\\\"metadata\\\":{\\\"name\\\":\\\"$name\\\",\\\"namespace\\\":\\\"$ns\\\"},\\\"deleteOptions\\\":{\\\"gracePeriodSeconds\\\":$grace}}\"" \
      'noproxy = "*"' \
      'connect-timeout = 3' \
      "max-time = $2" \
      "$cacert" \
      'output = "/dev/null"' \
      "write-out = \"%{http_code} $ns/$name\\n\""
    config+=${config:+$'next\n'}$block
  done <"$1"
  # --no-progress-meter: in parallel mode curl 7.x draws its meter despite --silent.
  run curl --silent --no-progress-meter --parallel --parallel-immediate --parallel-max "$concurrency" --config <(printf '%s' "$config") \
    >"$state/evictions.txt"
}

# The pods the drain must see gone: every pod bound to the node that has not finished, except
# mirror pods (the kubelet's static pods) and pods a DaemonSet controls (kubectl drain's
# --ignore-daemonsets; emptyDir data and pods without a controller go too, as with
# --delete-emptydir-data --force). One line each: "namespace name running|terminating".
# The list comes from the API server's watch cache (resourceVersion=0), indexed by node: cheap
# for the server even in a large cluster.
PODS_FILTER='.items[]
  | select((.metadata.annotations["kubernetes.io/config.mirror"] // null) == null)
  | select([.metadata.ownerReferences[]? | select(.controller == true and .kind == "DaemonSet")] | length == 0)
  | "\(.metadata.namespace) \(.metadata.name) \(if .metadata.deletionTimestamp then "terminating" else "running" end)"'

drain() {
  draining=1
  local deadline=$((SECONDS + timeout)) started=${EPOCHREALTIME/./} round=0 status left evicting first
  local pods=$state/pods.json list=$state/pods.txt targets=$state/evict.txt
  log "preemption notice for node $node: cordoning and tainting it $taint_key=true:NoSchedule, then evicting its pods ($concurrency at a time, grace period ${grace}s, timeout ${timeout}s)"
  # One strategic merge patch cordons the node and adds (or overwrites) the taint by its key.
  status=$(api /dev/null PATCH "/api/v1/nodes/$node" "$taint_timeout" \
    --header 'Content-Type: application/strategic-merge-patch+json' \
    --data-binary "{\"spec\":{\"unschedulable\":true,\"taints\":[{\"key\":\"$taint_key\",\"value\":\"true\",\"effect\":\"NoSchedule\"}]}}")
  if [[ $status != 200 ]]; then
    log "warning: cordoning and tainting node $node failed (HTTP $status); evicting its pods anyway"
  fi
  while :; do
    round=$((round + 1))
    status=$(api "$pods" GET "/api/v1/pods?resourceVersion=0&fieldSelector=spec.nodeName%3D$node%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed" 5)
    if [[ $status == 200 ]] && jq -r "$PODS_FILTER" "$pods" >"$list"; then
      left=$(grep -c . "$list")
      if (( left == 0 )); then
        break
      fi
      grep ' running$' "$list" | cut -d ' ' -f 1,2 >"$targets"
      evicting=$(grep -c . "$targets")
      if (( evicting > 0 && SECONDS < deadline )); then
        evict_all "$targets" "$(( deadline - SECONDS < 10 ? deadline - SECONDS : 10 ))"
        log "round $round: $left pods left; evictions sent: $evicting, $(summary)"
      fi
    else
      log "warning: listing the pods of node $node failed (HTTP $status); trying again"
    fi
    if (( SECONDS >= deadline )); then
      first=$(head -n 3 "$list" 2>/dev/null | while read -r ns name _; do printf '%s/%s ' "$ns" "$name"; done)
      log "error: draining node $node failed: ${left:-some} pods still on it after ${timeout}s (first: ${first% }); an eviction may be blocked by a PodDisruptionBudget, or the API server refused; exiting so that the container restarts and drains again"
      exit 1
    fi
    run sleep 1
  done
  printf '%s\n' "$node" >"$marker" || log "warning: could not write $marker: a restarted container would drain again"
  draining=0
  log "node $node drained in $(elapsed "$started") s; idling until it shuts down"
  idle
}

# summary: the answers of the last evict_all, counted by meaning.
summary() {
  local accepted=0 gone=0 held=0 failed=0 code pod
  while read -r code pod; do
    case $code in
      200 | 201) accepted=$((accepted + 1)) ;;
      404) gone=$((gone + 1)) ;;
      429) held=$((held + 1)) ;;
      *) failed=$((failed + 1)); log "eviction of $pod failed (HTTP $code); trying again" ;;
    esac
  done <"$state/evictions.txt"
  printf 'accepted %d, already gone %d, refused for now (429: a PodDisruptionBudget or the server'"'"'s rate limit) %d, failed %d' \
    "$accepted" "$gone" "$held" "$failed"
}

# elapsed START: seconds since START (EPOCHREALTIME without its dot), with one decimal.
elapsed() {
  local now=${EPOCHREALTIME/./} ds
  ds=$(( (now - $1) / 100000 ))
  printf '%d.%d' $((ds / 10)) $((ds % 10))
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
