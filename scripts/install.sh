#!/usr/bin/env bash
# Installs the built agent on this host so that `systemctl start agent` works:
#   $PREFIX/lib/agent            dist/, bin/, production node_modules
#   $PREFIX/bin/agent, agentctl  on PATH
#   /etc/systemd/system/agent.service
#   /etc/agent/agent.yaml        the example, only if there is none yet
#   $PREFIX/share/doc/agent/README.md
# PREFIX defaults to /usr/local; DESTDIR stages the whole tree elsewhere (tests).
# Needs a build (npm ci && npm run build); Node.js >= 20 on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
[ -f dist/src/daemon/main.js ] || { echo "install: build first: npm ci && npm run build" >&2; exit 1; }

lib="$DESTDIR$PREFIX/lib/agent"
rm -rf "$lib"
mkdir -p "$lib"
cp -r dist bin package.json package-lock.json "$lib/"
cp -r node_modules "$lib/"
(cd "$lib" && npm prune --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)

mkdir -p "$DESTDIR$PREFIX/bin"
ln -sfn "$PREFIX/lib/agent/bin/agent" "$DESTDIR$PREFIX/bin/agent"
ln -sfn "$PREFIX/lib/agent/bin/agentctl" "$DESTDIR$PREFIX/bin/agentctl"

mkdir -p "$DESTDIR/etc/systemd/system"
sed "s#/usr/local/bin/agent#$PREFIX/bin/agent#g; s#/usr/local/share/doc#$PREFIX/share/doc#g" systemd/agent.service \
  > "$DESTDIR/etc/systemd/system/agent.service"
chmod 0644 "$DESTDIR/etc/systemd/system/agent.service"

if [ ! -e "$DESTDIR/etc/agent/agent.yaml" ]; then
  install -D -m 0600 systemd/agent.example.yaml "$DESTDIR/etc/agent/agent.yaml"
  echo "install: wrote the example /etc/agent/agent.yaml: edit it (asn, routerId, neighbors, originate)"
fi
install -D -m 0644 README.md "$DESTDIR$PREFIX/share/doc/agent/README.md"

if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  echo "install: done. Start it: systemctl enable --now agent"
else
  echo "install: done (no systemd running here, or staged into DESTDIR=$DESTDIR)"
fi
