#!/bin/sh
# Entrypoint of every firesafe image built from deploy/docker/Dockerfile.
# Runs the module baked in at build time (FIRESAFE_MODULE, from the MODULE build arg) and
# passes the container's arguments through, so `docker run IMAGE migrate` runs
# `python -m <module> migrate`. exec: python becomes PID 1 and receives SIGTERM directly.
set -eu
exec python -m "${FIRESAFE_MODULE:?FIRESAFE_MODULE is not set (build arg MODULE)}" "$@"
