#!/bin/sh
# Creates an application through REST API v1 and waits until its domain is live (docs/product.md §3.6, §3.5).
# Usage: EC_TOKEN=ec_… scripts/api-go-live.sh <console URL> <account id> <hostname> <origin>
# Needs curl and jq, and a token without the read-only scope (creating and "Verify now" are writes).
# Set the hostname's DNS (the CNAME it prints) while it waits.
set -eu
base="$1/api/v1"; account="$2"; hostname="$3"; origin="$4"
auth="Authorization: Bearer $EC_TOKEN"

app=$(curl -sS --fail-with-body -H "$auth" -H "Content-Type: application/json" \
  -d "{\"hostname\": \"$hostname\", \"origin\": \"$origin\"}" "$base/account/$account/application/create")
app_id=$(echo "$app" | jq -r .id)
env="$base/account/$account/application/$app_id/environment/Production"
cname=$(curl -sS --fail-with-body -H "$auth" "$env" | jq -r '.domains[0].cname')
echo "Created application $app_id. Point DNS: $hostname CNAME $cname"

while :; do
  # One "Verify now" per interval (a write: it runs a check; at most once per 10 s per domain). A read-only token
  # gets 403 here and can only wait for the scheduler's checks: it keeps polling `engaged` below.
  curl -sS -o /dev/null -H "$auth" "$base/account/$account/domain/$hostname/verifyEngaged" || true
  # `engaged` reads the last known state without checking (any token).
  state=$(curl -sS --fail-with-body -H "$auth" "$env/engaged")
  if [ "$(echo "$state" | jq -r .is_engaged)" = "true" ]; then echo "$hostname is live."; break; fi
  echo "$hostname: $(echo "$state" | jq -r '.domains[0].status') — $(echo "$state" | jq -r '.domains[0].last_check.found.explanation // "not checked yet"')"
  sleep 10
done
