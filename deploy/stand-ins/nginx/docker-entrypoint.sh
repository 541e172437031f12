#!/bin/sh
# Entry point of the nginx stand-in, doing what the official image's does: when the command is
# nginx, run the executable /docker-entrypoint.d/*.sh scripts in order (and source *.envsh ones),
# then exec the command. NGINX_ENTRYPOINT_QUIET_LOGS silences its own lines.
set -eu

say() {
    if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
        echo "$0: $*" >&2
    fi
}

if [ "${1:-}" = nginx ] || [ "${1:-}" = nginx-debug ]; then
    for f in /docker-entrypoint.d/*; do
        [ -f "$f" ] || continue
        case "$f" in
            *.envsh)
                if [ -x "$f" ]; then
                    say "sourcing $f"
                    # shellcheck disable=SC1090 # the scripts are the image user's
                    . "$f"
                else
                    say "ignoring $f, not executable"
                fi
                ;;
            *.sh)
                if [ -x "$f" ]; then
                    say "launching $f"
                    "$f"
                else
                    say "ignoring $f, not executable"
                fi
                ;;
            *) say "ignoring $f" ;;
        esac
    done
    say "configuration complete; ready for start up"
fi

exec "$@"
