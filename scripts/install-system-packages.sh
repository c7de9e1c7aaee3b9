#!/bin/sh
# Installs the Debian packages the tests and an edge node need (docs/product.md §8, docs/edge.md "Parts"), keeps
# Debian's own haproxy/varnish/nginx/postgresql services stopped and disabled (the edge agent runs its own processes,
# the tests their own PostgreSQL cluster), and creates the unprivileged users the agent runs proxies (edge-proxy) and tenants' code (edge-tenant) as.
#
#   sudo scripts/install-system-packages.sh          # install what is missing; a second run changes nothing
#   scripts/install-system-packages.sh --check       # print what is missing (any user); exit 1 when something is
#
# Idempotent: packages are looked up with dpkg-query and only missing ones are installed (apt-get update runs only
# then); services are stopped only when their pid file names a live process and disabled only while a start link
# exists; users are created only when missing. Exits 1 with one line when it would change something and is not root.
set -eu

# The packages, one a line (why each is needed: below). scripts/test-all.mjs asks `--check` what is missing.
PACKAGES="
chromium
fonts-dejavu-core
git
ca-certificates
g++
make
python3
haproxy
varnish
gcc
libc6-dev
nginx-light
libnginx-mod-http-modsecurity
modsecurity-crs
libnginx-mod-http-lua
openssl
iproute2
procps
pebble
wrk
postgresql
"
# chromium, fonts-dejavu-core: the Playwright journeys (Debian's Chromium at /usr/bin/chromium).
# git: repositories per application (docs/product.md §5). ca-certificates: npm ci, origin TLS verification.
# g++, make, python3: better-sqlite3 compiles on `npm ci` when no prebuilt binary fits (README "Requirements").
# haproxy, varnish (+ gcc, libc6-dev: varnishd compiles VCL to C), nginx-light with the ModSecurity and Lua modules,
# modsecurity-crs: the edge's proxies and the console's checks (docs/product.md §8).
# openssl: the agent's default self-signed certificate. iproute2: `ss` in the edge tests. procps: `ps` (init scripts).
# pebble: the ACME test server for HTTPS certificates (docs/product.md §9). wrk: the edge benchmark (bench/edge.ts).
# postgresql: the suite's second run and the race tests on PostgreSQL (docs/architecture.md "Data"); the tests start
# their own cluster (lib/testing/postgres.ts), Debian's service stays stopped.

# Debian's services for the edge's tools and PostgreSQL, each with the pid file its init script uses (a pattern
# matches several: Debian's `postgresql` script starts every cluster, each writing /run/postgresql/<major>-<name>.pid).
SERVICES="
haproxy:/run/haproxy.pid
varnish:/run/varnishd.pid
varnishncsa:/run/varnishncsa/varnishncsa.pid
nginx:/run/nginx.pid
postgresql:/run/postgresql/*.pid
"

USERS="edge-proxy edge-tenant"

say() { echo "install-system-packages: $*"; }

# One dpkg-query for all packages (names it does not know go to stderr and count as missing).
missing_packages() {
  # shellcheck disable=SC2086 # a list of package names
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $PACKAGES 2>/dev/null | awk '$2 == "installed" { print $1 }' || true)
  for p in $PACKAGES; do
    echo "$installed" | grep -qxF "$p" || echo "$p"
  done
}

missing_users() {
  for u in $USERS; do
    getent passwd "$u" >/dev/null 2>&1 || echo "$u"
  done
}

# A service counts as running when one of its pid files names a live process.
running_services() {
  for entry in $SERVICES; do
    name=${entry%%:*}
    pattern=${entry#*:}
    # shellcheck disable=SC2086 # the pattern expands to the pid files (an unmatched one stays as is and is skipped)
    pids=$(for pidfile in $pattern; do [ -s "$pidfile" ] && cat "$pidfile" 2>/dev/null; done || true)
    for pid in $pids; do
      if kill -0 "$pid" 2>/dev/null; then
        echo "$name"
        break
      fi
    done
  done
}

# A service counts as enabled while a runlevel start link exists (sysvinit) or systemd says so.
enabled_services() {
  for entry in $SERVICES; do
    name=${entry%%:*}
    if ls /etc/rc[2-5].d/S[0-9][0-9]"$name" >/dev/null 2>&1; then
      echo "$name"
    elif [ -d /run/systemd/system ] && systemctl is-enabled --quiet "$name" 2>/dev/null; then
      echo "$name"
    fi
  done
}

packages=$(missing_packages | tr '\n' ' ' | sed 's/ *$//')
users=$(missing_users | tr '\n' ' ' | sed 's/ *$//')

if [ "${1:-}" = "--check" ]; then
  running=$(running_services | tr '\n' ' ' | sed 's/ *$//')
  enabled=$(enabled_services | tr '\n' ' ' | sed 's/ *$//')
  [ -z "$packages" ] || echo "missing packages: $packages"
  [ -z "$users" ] || echo "missing users: $users"
  [ -z "$running" ] || echo "Debian services running: $running"
  [ -z "$enabled" ] || echo "Debian services enabled: $enabled"
  [ -z "$packages$users$running$enabled" ] && exit 0
  exit 1
elif [ -n "${1:-}" ]; then
  echo "usage: $0 [--check]" >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  services=$(running_services; enabled_services)
  services=$(echo "$services" | sort -u | tr '\n' ' ' | sed 's/^ *//; s/ *$//')
  if [ -z "$packages$users$services" ]; then
    say "nothing to do"
    exit 0
  fi
  todo="${packages:+install $packages; }${users:+create users $users; }${services:+stop and disable Debian's $services}"
  echo "install-system-packages: must run as root (to ${todo%; }): sudo $0" >&2
  exit 1
fi

if [ -n "$packages" ]; then
  say "installing $packages"
  # Keep Debian's services from starting while their packages install (invoke-rc.d honours policy-rc.d, exit 101
  # = action forbidden); an existing policy-rc.d (e.g. a container image's) is left as it is.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by install-system-packages.sh for the duration of apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
    trap 'exit 130' INT TERM
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086 # a list of package names
  apt-get install -y -q --no-install-recommends $packages
  still=$(missing_packages | tr '\n' ' ' | sed 's/ *$//')
  if [ -n "$still" ]; then
    echo "install-system-packages: still missing after apt-get install: $still" >&2
    exit 1
  fi
fi

for name in $(running_services); do
  say "stopping Debian's $name service (the edge agent and the tests run their own)"
  if [ -d /run/systemd/system ]; then systemctl stop "$name"; else service "$name" stop; fi
done
for name in $(enabled_services); do
  say "disabling Debian's $name service"
  if [ -d /run/systemd/system ]; then systemctl disable --quiet "$name"; fi
  if ls /etc/rc[2-5].d/S[0-9][0-9]"$name" >/dev/null 2>&1; then update-rc.d "$name" disable >/dev/null; fi
done

for u in $users; do
  say "creating system user $u (no shell, no home)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$u"
done

if [ -z "$packages$users" ]; then say "nothing to install"; fi
