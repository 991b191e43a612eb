#!/usr/bin/env bash
# Installs the Debian 12 packages that anda builds, tests and benchmarks with;
# `deps.sh python` adds those of the Python module and its tests (pybind11, NumPy, pytest, PyTorch;
# setuptools, wheel, pip and venv for `pip install --no-build-isolation .`).
# Recommends stay out (PyTorch's would bring Qt and GStreamer); the one recommend the build needs is
# named: oneDNN's CMake config looks for OpenCL, which libdnnl-dev only recommends.
set -euo pipefail
pkgs=(build-essential cmake ninja-build libeigen3-dev catch2 libbenchmark-dev libboost-dev
      libcli11-dev nlohmann-json3-dev libdnnl-dev ocl-icd-opencl-dev
      libpcre2-dev libutf8proc-dev pkg-config)
if [ "${1:-}" = python ]; then
  pkgs+=(python3 python3-dev pybind11-dev python3-numpy python3-pytest python3-torch
         python3-setuptools python3-wheel python3-pip python3-venv)
fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
