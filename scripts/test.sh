#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and passes every test: release build (C++ and Python), then
# the ASan+UBSan build of the C++ tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh python
jobs=$(nproc)
# Debian's interpreter: the one apt's python3-numpy/-torch/-pytest belong to (a pyenv or conda
# python3 earlier on PATH would lack them).
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DANDA_PYTHON=ON \
  -DPython_EXECUTABLE=/usr/bin/python3
cmake --build build/release -j "$jobs"
build/release/tools/anda backends  # which backends this CPU runs (the tests run each of them)
ctest --test-dir build/release --output-on-failure -j "$jobs"
# Line tables only (-g1): the sanitizers' reports name file and line, the build stays quick.
cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANDA_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
cmake --build build/sanitize -j "$jobs"
ctest --test-dir build/sanitize --output-on-failure -j "$jobs"
