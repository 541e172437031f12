#!/bin/sh
# Follows the masters for nginx in a container: renders the dcache site config with one upstream
# `server` line per address that the master service's DNS name resolves to, then keeps it current.
# Every MASTER_DNS_INTERVAL seconds it asks DNS again and, when the set of addresses changed,
# renders again and reloads nginx (a graceful reload: requests in flight finish on the old workers).
#
# docker-compose.yml mounts it as /docker-entrypoint.d/40-dcache-masters.sh, which the official
# nginx image and the Debian stand-in (deploy/stand-ins/nginx) both run before nginx starts.
# Why not nginx's own `resolve` on an upstream server: open-source nginx has it only from 1.27.3
# on, and Debian 13 ships 1.26. This needs only a shell, envsubst, and glibc's getent or busybox's
# nslookup, so the same file works on either image.
#
#   MASTER_DNS             name:port of the masters, e.g. master:8000; unset: do nothing (the
#                          template is then rendered from MASTER_SERVERS by the image itself)
#   MASTER_SERVER_OPTIONS  appended to every server line [max_fails=0]
#   MASTER_DNS_INTERVAL    seconds between lookups [2]
#   MASTER_DNS_FOLLOW      false: render once and exit, start no follower (bin/check-deploy) [true]
#   NGINX_PORT             the port the site listens on (substituted into the template)
#   DCACHE_NGINX_TEMPLATE  [/etc/dcache/nginx/dcache.conf.template]
#   DCACHE_NGINX_CONF      [/etc/nginx/conf.d/dcache.conf]
set -eu

[ -n "${MASTER_DNS:-}" ] || exit 0

template="${DCACHE_NGINX_TEMPLATE:-/etc/dcache/nginx/dcache.conf.template}"
conf="${DCACHE_NGINX_CONF:-/etc/nginx/conf.d/dcache.conf}"
interval="${MASTER_DNS_INTERVAL:-2}"
options="${MASTER_SERVER_OPTIONS:-max_fails=0}"
name="${MASTER_DNS%:*}"
port="${MASTER_DNS##*:}"

say() { echo "dcache-masters: $*" >&2; }

[ -f "$template" ] || { say "no template at $template"; exit 1; }
case "$port" in '' | *[!0-9]*) say "MASTER_DNS must be name:port, was '$MASTER_DNS'"; exit 1 ;; esac

# The IPv4 addresses $name resolves to, sorted, one per line; nothing when it does not resolve.
addresses() {
    if getent ahostsv4 localhost >/dev/null 2>&1; then
        getent ahostsv4 "$name" 2>/dev/null | awk '{ print $1 }'
    else
        # busybox (the alpine image): skip the "Server/Address" lines of the resolver itself
        nslookup "$name" 2>/dev/null | awk '/^Name:/ { answer = 1; next }
            answer && /^Address/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/) print $i }'
    fi | sort -u -t . -k 1,1n -k 2,2n -k 3,3n -k 4,4n
}

# Writes the site config for the addresses in $1 (whitespace separated).
render() {
    servers=""
    for address in $1; do
        servers="$servers server $address:$port $options;"
    done
    # no master resolves yet: a valid upstream that answers 502 until one does
    [ -n "$servers" ] || servers="server 127.0.0.1:$port down;"
    # shellcheck disable=SC2016 # envsubst's list of the variables to replace, taken literally
    MASTER_SERVERS="$servers" envsubst '${NGINX_PORT} ${MASTER_SERVERS}' <"$template" >"$conf.tmp"
    mv "$conf.tmp" "$conf"
}

current="$(addresses)"
render "$current"
say "upstream for $MASTER_DNS: $(echo "$current" | tr '\n' ' ')"

[ "${MASTER_DNS_FOLLOW:-true}" != false ] || exit 0

# The follower: a child of nginx's master process once the entrypoint execs nginx, which reaps it.
# An empty answer keeps the current list: it is a DNS hiccup or no master at all, and in neither
# case is there anything better to route to.
(
    while sleep "$interval"; do
        next="$(addresses)"
        if [ -n "$next" ] && [ "$next" != "$current" ]; then
            # a failed reload (nginx not started yet) is tried again at the next lookup
            if render "$next" && nginx -s reload 2>/dev/null; then
                current="$next"
                say "upstream for $MASTER_DNS now: $(echo "$current" | tr '\n' ' ')"
            fi
        fi
    done
) &
