#!/bin/sh
# Entrypoint of compose's `temporal` service: temporal-server with docker/temporal/config/rollcall.yaml
# (mounted at /etc/temporal/rollcall/config), the config file `npm run cluster` runs the server with too,
# so the two deployments cannot drift. The settings come from the environment (see that file's header).
set -eu
# The container's own address, as the image's entrypoint does: the frontend is reached as temporal:7233.
: "${BIND_ON_IP:=$(getent hosts "$(hostname)" | awk '{print $1; exit}')}"
export BIND_ON_IP
exec temporal-server --root / --config etc/temporal/rollcall/config --env rollcall --allow-no-auth start
