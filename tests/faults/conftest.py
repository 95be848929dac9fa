"""The build trials take minutes each: collected by `make faults` (IPWH_FAULTS_FULL=1), not by `make test`."""

from tests.faults.harness import FULL

collect_ignore = [] if FULL else ["test_build_faults.py"]
