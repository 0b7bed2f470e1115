#!/usr/bin/env bash
# Sets up a machine for edgec: the npm packages (then builds the CLI into dist/), and, when run as root, the
# Debian packages the targets need (clang-19 and qemu for RISC-V Vector, gcc for the qemu instruction-count
# plugin, Chromium and the Vulkan loader for WebGPU via SwiftShader and the browser tests). Safe to run again:
# it only installs what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# onnxruntime-node's install script would download CUDA binaries from a host we cannot reach; the CPU build
# ships in the package (also set in .npmrc).
export ONNXRUNTIME_NODE_INSTALL=skip

DEBIAN_PACKAGES=(clang-19 lld-19 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-user qemu-user-static gcc chromium libvulkan1)

missing_debian_packages() {
  local pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      printf '%s\n' "$pkg"
    fi
  done
}

if command -v dpkg-query >/dev/null 2>&1; then
  mapfile -t missing < <(missing_debian_packages)
  if ((${#missing[@]} > 0)); then
    if [[ $(id -u) -eq 0 ]]; then
      echo "setup: installing Debian packages: ${missing[*]}"
      apt-get update -q
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
      echo "setup: missing Debian packages: ${missing[*]}" >&2
      echo "setup: install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
      echo "setup: (the reference interpreter works without them; the rvv and webgpu targets do not)" >&2
    fi
  else
    echo "setup: Debian packages present"
  fi
else
  echo "setup: not a Debian system; install the equivalents of: ${DEBIAN_PACKAGES[*]}" >&2
fi

# npm ci only when package-lock.json changed since the last install (npm ci always starts from scratch).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.edgec-lock-sha256
if [[ -f $stamp && $(cat "$stamp") == "$lock_hash" ]]; then
  echo "setup: npm packages up to date"
else
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi

echo "setup: building"
npm run --silent build
echo "setup: done. Try: npx edgec inspect ../shared/models/mobilenet_v2.onnx"
