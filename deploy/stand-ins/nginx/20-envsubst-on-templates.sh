#!/bin/sh
# Renders NGINX_ENVSUBST_TEMPLATE_DIR/*NGINX_ENVSUBST_TEMPLATE_SUFFIX into
# NGINX_ENVSUBST_OUTPUT_DIR (defaults /etc/nginx/templates, .template, /etc/nginx/conf.d), as the
# official image's script of the same name does: only variables that are set are substituted, so
# nginx's own $variables pass through.
set -eu

template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"

[ -d "$template_dir" ] || exit 0
# '${A} ${B} ...' for every variable in the environment
defined="$(awk 'END { for (name in ENVIRON) printf "${%s} ", name }' </dev/null)"

for template in "$template_dir"/*"$suffix"; do
    [ -f "$template" ] || continue
    name="$(basename "$template" "$suffix")"
    echo "$0: rendering $template to $output_dir/$name" >&2
    envsubst "$defined" <"$template" >"$output_dir/$name"
done
