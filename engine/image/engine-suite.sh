#!/usr/bin/env bash
# mmdebstrap setup hook: the Docker Engine from Debian forky (testing) on the trixie base.
# The forky source is the base's own main line with the suite swapped, so the build uses whatever
# mirror mmdebstrap (or its caller) chose; only the engine's packages prefer it (pinned below),
# everything else stays trixie. forky's Release file carries a Valid-Until that a frozen mirror
# snapshot outlives: freshness is not checked for that one line (signatures still are).
set -euo pipefail
r=$1
line=$(grep -m1 -E '^deb .* trixie main' "$r/etc/apt/sources.list")
echo "${line/ trixie main/ forky main}" | sed 's/^deb /deb [check-valid-until=no] /' > "$r/etc/apt/sources.list.d/berth-engine.list"
cat > "$r/etc/apt/preferences.d/berth-engine" <<'PIN'
Package: *
Pin: release n=forky
Pin-Priority: 100

Package: docker.io docker-cli containerd runc docker-buildx
Pin: release n=forky
Pin-Priority: 990
PIN
