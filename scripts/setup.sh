#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine, safe to run again: system packages (when root),
# npm dependencies, and the VM image when it is missing (not with --no-image: scripts/test.sh
# builds it alongside the unit tests). Says exactly what is missing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package that provides it
declare -A need=(
  [qemu-system-x86_64]=qemu-system-x86 [qemu-img]=qemu-utils [mmdebstrap]=mmdebstrap
  [mkfs.ext4]=e2fsprogs [zstd]=zstd [xz]=xz-utils [docker-registry]=docker-registry [chromium]=chromium
  [clang]=clang [wasm-ld]=lld
)
missing=()
for cmd in "${!need[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}"); done
# A static busybox is what the tests put in their FROM scratch images.
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
# The endpoint tests drive Berth with the host's own docker CLI: Debian's docker-cli where it
# exists (trixie and later), else docker.io (bookworm ships the CLI in it).
if ! command -v docker >/dev/null 2>&1; then
  if apt-cache show docker-cli >/dev/null 2>&1; then missing+=(docker-cli); else missing+=(docker.io); fi
fi
# The Wasm test builds a WASI module with Debian's clang (above: clang, lld's wasm-ld), wasi-libc
# and clang's wasm32 runtime library (its package is named after clang's major version).
[ -f /usr/lib/wasm32-wasi/libc.a ] || missing+=(wasi-libc)
if ! compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a' >/dev/null; then
  major=$(apt-cache depends clang 2>/dev/null | sed -n 's/.*Depends: clang-\([0-9]*\)$/\1/p' | head -1)
  missing+=("libclang-rt-${major:-14}-dev-wasm32")
fi
# The image recipe needs the trixie archive keys (newer debian-archive-keyring).
[ -f /usr/share/keyrings/debian-archive-trixie-stable.gpg ] || missing+=(debian-archive-keyring)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${missing[*]}" >&2
    echo "setup: install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run this again" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  # Electron's package downloads its binary from outside the npm registry at install time, which
  # fails where only the registry is reachable; `npm start` says when it is missing and falls
  # back to the headless dashboard. Fetch it later with: node node_modules/electron/install.js
  # --prefer-offline: a fresh clone (CI) installs from npm's cache without asking the registry
  # about every locked version again; anything not cached is still downloaded.
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error
fi

# The agent protocol's TypeScript types, generated from engine/proto/berth_agent.proto (0.4 s).
node bin/run-ts.js engine/proto/generate.ts >/dev/null
# The `berth` CLI as prebuilt JavaScript in dist/cli (bin/berth.js rebuilds it when a source changes).
node bin/cli-bundle.js >/dev/null

# Debian bookworm's QEMU is 7.2: QEMU >= 10 from bookworm-backports is unpacked into Berth's cache
# (a private apt configuration; the host's sources are not changed). A failure warns and leaves
# the engine on the system QEMU. See engine/host/qemu-runtime.ts.
node bin/run-ts.js engine/host/qemu-runtime-fetch.ts --if-older --prefix setup || true

# File sharing is faster on the Rust virtiofsd than on bookworm's C one (QEMU 7.2's): where the
# host has none, trixie's is unpacked into the cache with the libraries it links (6.6 MB), run
# through their own loader. See engine/host/virtiofsd-runtime.ts. The VM's network is passt
# (published ports about 3.5 times faster than QEMU's user network, half-close kept); changing
# its forwards at run time needs forky's (pesto), unpacked the same way (1 MB). See
# engine/host/passt-runtime.ts.
node bin/run-ts.js engine/host/debian-tool-fetch-cli.ts --prefix setup virtiofsd passt || true

# Lazy pulling (a Features setting) needs containerd-stargz-grpc, which no Debian package ships:
# built once into Berth's cache from forky's Go sources (about 270 MB of -dev packages fetched
# through the same private apt configuration, 2 minutes of build; nothing installed). Not in the
# VM image: the feature copies it onto the data disk when turned on. A failure only warns.
# The same Go tree builds the tests' eStargz layer builder (seconds on the host, where converting
# in the emulated VM took minutes).
node bin/run-ts.js engine/host/stargz-build-cli.ts --prefix setup \
  --tool estargz-layer=test/helpers/estargz-layer/main.go || true

[ "${1:-}" = --no-image ] || {
  node bin/run-ts.js engine/image/build.ts
  # Wasm containers (a Features setting) run trixie's crun with WasmEdge: it and what it needs that
  # the image lacks (read from the image, hence after it; scripts/test.sh does the same) are
  # unpacked into Berth's cache, 37 MB fetched through the private apt configuration. Warns only.
  node bin/run-ts.js engine/host/wasm-fetch-cli.ts --prefix setup || true
}
