#!/usr/bin/env bash
# Registers Syncline's custom search attributes (temporal/names.ts). Runs on every `up`, so an
# attribute that already exists is fine; anything else fails the stack before api/worker start.
set -euo pipefail

namespace="${TEMPORAL_NAMESPACE:-default}"
attributes=(SynclineJobId SynclineConnectionId SynclineTrigger SynclineChainId SynclineJobName SynclineOutcome)

# auto-setup creates the namespace in the background after the frontend is serving.
for attempt in $(seq 1 90); do
  if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then break; fi
  if [ "$attempt" -eq 90 ]; then echo "namespace '$namespace' did not appear within 3 minutes" >&2; exit 1; fi
  echo "waiting for namespace '$namespace'..."
  sleep 2
done

is_keyword() {
  temporal operator search-attribute list --namespace "$namespace" | grep -w -- "$1" | grep -qi keyword
}

for name in "${attributes[@]}"; do
  if out="$(temporal operator search-attribute create --namespace "$namespace" --name "$name" --type Keyword 2>&1)"; then
    echo "$name: created"
  elif grep -qi 'already exists' <<<"$out" || is_keyword "$name"; then
    echo "$name: already exists"
  else
    echo "$name: $out" >&2
    exit 1
  fi
done

# A pre-existing attribute of another type would break every run that sets it: fail now instead.
for name in "${attributes[@]}"; do
  is_keyword "$name" || { echo "$name is not registered as Keyword in '$namespace'" >&2; exit 1; }
done
echo "search attributes ready in namespace '$namespace'"
