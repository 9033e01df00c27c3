"""infra.process.tree_cpu_seconds: the CPU a process tree used, children included (benchmarks split CPU per request)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from livingspec.infra.process import tree_cpu_seconds

# Parent and child each burn 0.3 s of CPU (by their own CPU clock), then wait; the parent says when both did.
BURN = """
import os, sys, time
def burn():
    start = time.process_time()
    while time.process_time() - start < 0.3:
        pass
read, write = os.pipe()
if os.fork() == 0:
    burn()
    os.write(write, b"x")
    time.sleep(30)
    os._exit(0)
burn()
os.read(read, 1)
print("burnt", flush=True)
time.sleep(30)
"""


def test_the_cpu_of_a_process_tree_counts_its_children() -> None:
    process = subprocess.Popen([sys.executable, "-c", BURN], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "burnt"
        total = tree_cpu_seconds(process.pid)
        assert 0.55 <= total < 5.0, total  # both burns (0.6 s), not the parent's alone
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_a_process_that_is_gone_has_used_nothing() -> None:
    argv = [sys.executable, "-c", "import os; print(os.getpid())"]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    assert tree_cpu_seconds(int(done.stdout)) == 0.0
