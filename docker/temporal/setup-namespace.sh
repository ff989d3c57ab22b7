#!/bin/sh
# One-shot, once the Temporal frontend is healthy: the namespace Rollcall uses and the custom
# search attributes its workflows set (src/workflows/search-attributes.ts). Idempotent:
# whatever already exists is left alone, so it runs on every `docker compose up`. It exits only once a
# workflow start that sets every attribute has succeeded (the worker and the API start after it).
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-168h}"
ATTRIBUTES="SessionId=Keyword Provider=Keyword Room=Keyword SessionStatus=Keyword ParticipantCount=Int"
ATTEMPTS=60

t() { temporal --address "$ADDRESS" "$@"; }

# Every step retries: compose already waited for a healthy frontend, but namespace and
# search-attribute changes reach the server's caches a few seconds later.
attempt=0
until t operator cluster health >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  [ "$attempt" -lt "$ATTEMPTS" ] || { echo "Temporal at $ADDRESS is not healthy" >&2; exit 1; }
  sleep 2
done

attempt=0
until t operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; do
  t operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
    || echo "namespace $NAMESPACE: create failed, retrying"
  attempt=$((attempt + 1))
  [ "$attempt" -lt "$ATTEMPTS" ] || { echo "could not create namespace $NAMESPACE" >&2; exit 1; }
  sleep 2
done
echo "namespace $NAMESPACE: ready"

registered() {
  t operator search-attribute list --namespace "$NAMESPACE" 2>/dev/null | grep -Eq "(^|[[:space:]])$1([[:space:]]|\$)"
}

for pair in $ATTRIBUTES; do
  name="${pair%%=*}"
  type="${pair#*=}"
  attempt=0
  # "already exists" means an earlier run (or a cache not yet refreshed) got there first.
  until registered "$name"; do
    if ! output=$(t operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type" 2>&1); then
      case "$output" in
        *"already exists"*) ;;
        *) echo "$name: $output" >&2 ;;
      esac
    fi
    attempt=$((attempt + 1))
    [ "$attempt" -lt "$ATTEMPTS" ] || { echo "could not register search attribute $name" >&2; exit 1; }
    sleep 2
  done
  echo "search attribute $name ($type): registered"
done

# Registered is not yet usable: right after `search-attribute create`, a start that sets the new attribute
# fails for a few seconds ("no mapping defined for search attribute ...") until the frontend's caches
# refresh. So: start a throwaway workflow setting every attribute, as the API's registration does, until
# that succeeds; then delete it (nothing ever runs it).
set --
for pair in $ATTRIBUTES; do
  case "${pair#*=}" in
    Int) value=0 ;;
    *) value='"setup-probe"' ;;
  esac
  set -- "$@" --search-attribute "${pair%%=*}=$value"
done
attempt=0
until probe="rollcall-setup-probe-$(date +%s)-$attempt" &&
  output=$(t workflow start --namespace "$NAMESPACE" --type rollcallSetupProbe --task-queue rollcall-setup-probe \
    --workflow-id "$probe" "$@" 2>&1); do
  attempt=$((attempt + 1))
  [ "$attempt" -lt "$ATTEMPTS" ] || { echo "a workflow start with every search attribute still fails: $output" >&2; exit 1; }
  sleep 1
done
t workflow delete --namespace "$NAMESPACE" --workflow-id "$probe" >/dev/null 2>&1 || echo "probe workflow $probe: not deleted (harmless)"
echo "a workflow start with every search attribute succeeded (after $attempt failed attempts)"
