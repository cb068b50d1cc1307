# SPDX-License-Identifier: GPL-2.0-or-later
"""
pytest plugin for frr-ha's topotests: runs them on FRR's own topotest
framework (tests/topotests of the FRR source tree that tools/frr-build.sh
built, with munet), with two adjustments for this platform:

- FRR's conftest is loaded from that tree and its hooks and fixtures are
  re-exported here, so a test directory of ours behaves like one of FRR's;
- the kernel has no loadable modules and no /proc/modules; topotest reads
  that file to ask whether MPLS modules are loaded.  The answer is "not
  present", which is the truth on this kernel.
"""
import importlib.util
import os
import sys

FRR_TOPOTESTS = os.environ.get(
    "FRR_TOPOTESTS", "/var/cache/frr-ha/frr/tests/topotests"
)
if not os.path.isdir(os.path.join(FRR_TOPOTESTS, "lib")):
    raise RuntimeError(
        "FRR topotests not found at %s: run tools/frr-build.sh (or set FRR_TOPOTESTS)"
        % FRR_TOPOTESTS
    )
HERE = os.path.dirname(os.path.realpath(__file__))
for path in (HERE, FRR_TOPOTESTS):
    if path not in sys.path:
        sys.path.insert(0, path)

from lib import topotest  # noqa: E402  (FRR's)


def _module_present_linux(module, load):
    if os.path.exists("/proc/modules"):
        with open("/proc/modules", "r", encoding="ascii") as modules_file:
            if module.replace("-", "_") in modules_file.read():
                return True
    return False


topotest.module_present_linux = _module_present_linux

_spec = importlib.util.spec_from_file_location(
    "frr_topotests_conftest", os.path.join(FRR_TOPOTESTS, "conftest.py")
)
_frr_conftest = importlib.util.module_from_spec(_spec)
sys.modules["frr_topotests_conftest"] = _frr_conftest
_spec.loader.exec_module(_frr_conftest)

# re-export FRR's hooks and fixtures (pytest_addoption, pytest_configure, ...)
for _name, _value in vars(_frr_conftest).items():
    if not _name.startswith("__"):
        globals().setdefault(_name, _value)
