"""`pip install --no-build-isolation .`: the Python module anda, built by CMake.

setuptools only packages what CMake builds: the extension `anda._core` (target anda_python of
python/CMakeLists.txt, configured with -DANDA_DEVELOPER=OFF -DANDA_PYTHON=ON in a temporary
folder) and every .py file that CMake puts beside it (python/anda/*.py, __init__.py with the
project's version). The version is that of project() in CMakeLists.txt.

No build isolation: the module is built for the interpreter that runs pip and checked against
its NumPy (pybind11 2.10 reads NumPy 1.x only), which an isolated build would hide; nothing is
downloaded. Environment:
  ANDA_NATIVE=ON              build for this CPU (-march=native); default OFF, a portable module
                              (the SIMD kernels are chosen at run time either way; -march only
                              affects the code Eigen compiles, e.g. attention and norms)
  CMAKE_BUILD_PARALLEL_LEVEL  compile jobs (default: all cores)
  CMAKE_ARGS                  more arguments for the CMake configure step
  CMAKE_GENERATOR, CXX, ...   read by CMake as usual
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def project_version():
    """The VERSION of project(anda ...) in CMakeLists.txt: the one source of the version."""
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"^project\(\s*anda\s+VERSION\s+([0-9]+(?:\.[0-9]+)*)", text, re.MULTILINE)
    if not match:
        raise RuntimeError("anda: no `project(anda VERSION x.y.z ...)` in CMakeLists.txt")
    return match.group(1)


class CMakeBuild(build_ext):
    def run(self):
        if self.inplace or getattr(self, "editable_mode", False):
            raise RuntimeError(
                "anda: no editable install (pip install -e) or build_ext --inplace: build with "
                "CMake (-DANDA_PYTHON=ON) and set PYTHONPATH=<build>/python instead")
        super().run()

    def build_extension(self, ext):
        try:
            import numpy  # noqa: F401  (the interpreter the module is built for must have it)
        except ImportError:
            raise RuntimeError(
                f"anda: {sys.executable} cannot import numpy. The module is built against the "
                "NumPy of the interpreter that runs pip: install NumPy there (Debian: "
                "python3-numpy, and a venv made with --system-site-packages) and build with "
                "`pip install --no-build-isolation .` (an isolated build hides it)") from None
        out_dir = Path(self.get_ext_fullpath(ext.name)).parent
        native = os.environ.get("ANDA_NATIVE", "OFF")
        if self.parallel:  # build_ext --parallel N
            jobs = ["-j", str(self.parallel)]
        elif os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL"):
            jobs = []  # cmake --build reads it
        else:
            jobs = ["-j", str(os.cpu_count() or 1)]
        # Outside the source tree: a pip build leaves nothing there (and no stale CMake cache).
        with tempfile.TemporaryDirectory(prefix="anda-cmake-") as build:
            subprocess.run(
                ["cmake", "-S", str(ROOT), "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                 "-DANDA_DEVELOPER=OFF", "-DANDA_PYTHON=ON", f"-DANDA_NATIVE={native}",
                 f"-DPython_EXECUTABLE={sys.executable}",
                 *shlex.split(os.environ.get("CMAKE_ARGS", ""))], check=True)
            subprocess.run(["cmake", "--build", build, "--target", "anda_python", *jobs],
                           check=True)
            package = Path(build) / "python" / "anda"
            extension = sorted(package.glob("_core*.so")) + sorted(package.glob("_core*.pyd"))
            sources = sorted(package.glob("*.py"))
            if len(extension) != 1 or not any(p.name == "__init__.py" for p in sources):
                raise RuntimeError(f"anda: unexpected CMake output in {package}: "
                                   f"{sorted(p.name for p in package.iterdir())}")
            out_dir.mkdir(parents=True, exist_ok=True)
            for path in extension + sources:
                shutil.copy2(path, out_dir / path.name)


# setuptools' own folders (build/, anda.egg-info/) in a temporary folder too, not the source tree.
scratch = tempfile.TemporaryDirectory(prefix="anda-setuptools-")
setup(
    version=project_version(),
    packages=[],  # the package comes whole from the CMake build (CMakeBuild)
    ext_modules=[Extension("anda._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": os.path.join(scratch.name, "build")},
             "egg_info": {"egg_base": scratch.name}},
    zip_safe=False,
)
