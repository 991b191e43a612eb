#!/usr/bin/env bash
# `pip install --no-build-isolation --no-index .` (setup.py + pyproject.toml) from a copy of the
# sources into a fresh venv that sees the system's NumPy/PyTorch, offline; then the installed
# package imports and computes, the build left nothing in the sources, and pip uninstalls it.
# Usage: pip_install_test.sh SOURCE_DIR WORK_DIR PYTHON VERSION (ctest python_pip_install).
set -euo pipefail
source_dir=$1 work=$2 python=$3 version=$4
rm -rf "$work"
mkdir -p "$work"
# What a pip build needs (what an sdist would hold): not the tests, their data or build trees.
mkdir "$work/src"
for path in CMakeLists.txt README.md pyproject.toml setup.py cmake include hwmodel python tools; do
  cp -R "$source_dir/$path" "$work/src/"
done
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
touch "$work/copied"
sleep 1  # so that anything written into the copy from here on is newer than this stamp

"$python" -m venv --system-site-packages "$work/venv"
# pip as on a clean machine: no configuration files, PIP_* variables or user site.
for var in $(compgen -e | grep '^PIP_' || true); do unset "$var"; done
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONNOUSERSITE=1
unset ANDA_NATIVE CMAKE_ARGS  # setup.py's defaults: the portable module
cd "$work/src"
"$work/venv/bin/python" -m pip install --no-build-isolation --no-index --no-cache-dir .

written=$(find "$work/src" -newer "$work/copied")
if [ -n "$written" ]; then
  echo "pip install . wrote into the source tree:"
  echo "$written"
  exit 1
fi

cd "$work"  # not the sources, whose python/anda must not be what is imported
"$work/venv/bin/python" - "$work/venv" "$version" "$work/src/python/anda" <<'EOF'
import importlib, importlib.util, sys
from pathlib import Path
import numpy as np
import anda

venv, version, sources = sys.argv[1:]
package = Path(anda.__file__).parent
assert package.resolve().is_relative_to(Path(venv).resolve()), anda.__file__
assert anda.__version__ == version, (anda.__version__, version)
# every pure-Python file of python/anda came along, and imports
names = sorted(p.name for p in Path(sources).glob("*.py"))
assert sorted(p.name for p in package.glob("*.py")) == names, (list(package.iterdir()), names)
for name in names:
    module = name[:-3]
    # anda._triton is the CUDA kernel: it imports only where Triton is installed
    if module == "__init__" or module == "_triton" and importlib.util.find_spec("triton") is None:
        continue
    importlib.import_module("anda." + module)
# one GeMM: the exact product of the decoded operands, to float32's rounding
rng = np.random.default_rng(16)
x = rng.standard_normal((5, 256)).astype(np.float32)
w = (rng.standard_normal((24, 256)) * 0.02).astype(np.float32)
X = anda.encode(x, mantissa=7)
W = anda.quantize_weights(w)
y = anda.gemm(X, W)
exact = X.decode().astype(np.float64) @ W.dequantize().astype(np.float64).T
assert y.shape == (5, 24) and y.dtype == np.float32
assert np.abs(y - exact).max() <= 1e-5 * np.abs(exact).max()
print(f"anda {anda.__version__} from {package}: gemm ok on backend {anda.backend()} "
      f"of {[b['name'] for b in anda.backends() if b['supported']]}")
EOF

"$work/venv/bin/python" -m pip uninstall -y anda
if "$work/venv/bin/python" -c "import anda" 2>/dev/null; then
  echo "anda still imports after pip uninstall"
  exit 1
fi
rm -rf "$work"
