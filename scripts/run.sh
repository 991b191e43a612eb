#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds the `anda` tool and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target anda
exec build/release/tools/anda "${@:-whatif}"
