#!/usr/bin/env bash
# Three Skiff nodes on a throwaway Postgres behind Debian's nginx, configured exactly as
# docs/scale-out.nginx.conf (with loopback addresses), running the cluster smoke test through it:
# scrapes round the nodes, a session's calls and its CDP WebSocket through nginx, and nginx's 502
# turned into a 503 when no node is up. Not part of ./skiff test: it needs nginx, which ./skiff
# does not install. As root, this script installs nginx-light when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! [[ -x /usr/sbin/nginx || -x /usr/bin/nginx ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "cluster-nginx: nginx is missing (as root: apt-get install nginx-light)" >&2
    exit 1
  fi
  if [[ -z "$(find /var/lib/apt/lists -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >&2
fi
SKIFF_CLUSTER_BALANCER=nginx SKIFF_REQUIRE_POSTGRES=1 exec ./skiff test --only-tests test/cluster-smoke.test.ts
