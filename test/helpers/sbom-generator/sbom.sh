#!/bin/sh
# A minimal SBOM generator for BuildKit's scanner protocol (docs/attestations/sbom-protocol.md in
# moby/buildkit): every regular file of each target, with its SHA-256, as one SPDX 2.3 document
# wrapped in an in-toto statement, written to $BUILDKIT_SCAN_DESTINATION/<target>.spdx.json.
# It knows no packages: it stands in for docker/buildkit-syft-scanner where Docker Hub is unreachable.
set -eu
: "${BUILDKIT_SCAN_SOURCE:?}" "${BUILDKIT_SCAN_DESTINATION:?}"

scan() { # $1: a target's root filesystem (read-only); its last path component names the scan
  name=$(basename "$1")
  out="$BUILDKIT_SCAN_DESTINATION/$name.spdx.json"
  # Names holding a newline would split a line of sha256sum's output: such files are left out.
  list=$(cd "$1" && find . -type f -exec sha256sum {} + | sort -k2)
  ns=$(printf '%s\n' "$list" | sha256sum | cut -c1-64)
  created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  printf '%s\n' "$list" | awk -v name="$name" -v ns="$ns" -v created="$created" '
    function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, "\\t", s); return s }
    BEGIN {
      printf "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":\"https://spdx.dev/Document\",\"subject\":[],"
      printf "\"predicate\":{\"spdxVersion\":\"SPDX-2.3\",\"dataLicense\":\"CC0-1.0\",\"SPDXID\":\"SPDXRef-DOCUMENT\","
      printf "\"name\":\"%s\",\"documentNamespace\":\"https://berth.invalid/sbom/%s\",", esc(name), ns
      printf "\"creationInfo\":{\"created\":\"%s\",\"creators\":[\"Tool: berth-sbom-generator\"]},\"files\":[", created
    }
    NF >= 2 {
      path = substr($0, 67) # after the 64 hex digits and two spaces
      printf "%s{\"fileName\":\"%s\",\"SPDXID\":\"SPDXRef-File-%d\",", (n++ ? "," : ""), esc(path), n
      printf "\"checksums\":[{\"algorithm\":\"SHA256\",\"checksumValue\":\"%s\"}]}", $1
    }
    END { print "]}}" }' > "$out"
}

scan "$BUILDKIT_SCAN_SOURCE"
# Extra targets (build contexts, stages named by BUILDKIT_SBOM_SCAN_*), each a folder of its own.
if [ -n "${BUILDKIT_SCAN_SOURCE_EXTRAS:-}" ] && [ -d "$BUILDKIT_SCAN_SOURCE_EXTRAS" ]; then
  for extra in "$BUILDKIT_SCAN_SOURCE_EXTRAS"/*; do [ -d "$extra" ] && scan "$extra"; done
fi
exit 0
