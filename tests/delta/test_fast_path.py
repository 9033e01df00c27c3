"""The compiled path (numba) and the numpy reference path give the same bytes, values and errors."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from livingspec import delta
from livingspec.delta import kernels, packed

needs_numba = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed: only the reference path runs")

int64_arrays = hnp.arrays(np.int64, st.integers(0, 1500), elements=st.integers(-(2**63), 2**63 - 1))
small_steps = st.integers(0, 1500).flatmap(
    lambda n: hnp.arrays(np.int64, n, elements=st.integers(-3, 3)).map(lambda a: np.cumsum(a, dtype=np.int64))
)
layouts = st.sampled_from([(128, 4), (128, 1), (256, 4), (256, 8), (512, 16), (4096, 128)])


@needs_numba
@given(st.one_of(int64_arrays, small_steps), layouts)
def test_both_paths_write_the_same_bytes_and_read_them_back(values, layout):
    fast = packed.pack_compiled(values, *layout)
    assert fast == packed.pack_reference(values, *layout)
    assert np.array_equal(packed.unpack_compiled(fast), values)
    assert np.array_equal(packed.unpack_reference(fast), values)


@needs_numba
@given(st.binary(max_size=2000), st.integers(0, 3000))
def test_both_paths_accept_and_refuse_the_same_bytes(data, max_values):
    outcomes = []
    for decode in (packed.unpack_compiled, packed.unpack_reference):
        try:
            outcomes.append(decode(data, max_values).tolist())
        except delta.DeltaError as error:
            outcomes.append((type(error), str(error)))
    assert outcomes[0] == outcomes[1]


@needs_numba
@given(st.one_of(int64_arrays, small_steps).filter(lambda a: a.size > 1), layouts, st.data())
def test_both_paths_agree_on_damaged_packed_forms(values, layout, data):
    encoded = bytearray(packed.pack_compiled(values, *layout))
    for _ in range(data.draw(st.integers(1, 4))):
        encoded[data.draw(st.integers(0, len(encoded) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(encoded)))
    damaged = bytes(encoded[:cut])
    outcomes = []
    for decode in (packed.unpack_compiled, packed.unpack_reference):
        try:
            outcomes.append(decode(damaged, 10**6).tolist())
        except delta.DeltaError as error:
            outcomes.append((type(error), str(error)))
    assert outcomes[0] == outcomes[1]


@needs_numba
def test_every_bit_width_round_trips_through_the_compiled_loops():
    rng = np.random.default_rng(5)
    for width in range(65):
        top = (1 << width) - 1
        deltas = rng.integers(0, top, size=700, dtype=np.uint64, endpoint=True) if width else np.zeros(700, np.uint64)
        values = np.cumsum(deltas.view(np.int64), dtype=np.int64)
        for layout in ((128, 4), (256, 4)):
            fast = packed.pack_compiled(values, *layout)
            assert fast == packed.pack_reference(values, *layout), width
            assert np.array_equal(packed.unpack_compiled(fast), values), width


@needs_numba
def test_long_series_take_the_compiled_path_and_short_ones_the_reference(monkeypatch):
    calls = []
    monkeypatch.setattr(packed, "pack_compiled", lambda *a: calls.append("pack") or packed.pack_reference(*a))
    monkeypatch.setattr(packed, "unpack_compiled", lambda *a: calls.append("unpack") or packed.unpack_reference(*a))
    short, long = np.arange(packed.COMPILED_FROM - 1), np.arange(packed.COMPILED_FROM)
    packed.unpack(packed.pack(short))
    assert calls == []
    packed.unpack(packed.pack(long))
    assert calls == ["pack", "unpack"]


def test_without_numba_pack_and_unpack_take_the_reference_path(monkeypatch):
    values = np.cumsum(np.arange(-300, 3 * packed.COMPILED_FROM, dtype=np.int64))
    fast = packed.pack(values, 256, 4)
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    monkeypatch.setattr(kernels, "encode_blocks", None)  # any use of the compiled loops would fail
    monkeypatch.setattr(kernels, "decode_blocks", None)
    assert packed.pack(values, 256, 4) == fast
    assert np.array_equal(packed.unpack(fast), values)
    with pytest.raises(delta.TruncatedDataError):
        packed.unpack(fast[:-3])
    with pytest.raises(delta.DeltaError, match="needs numba"):
        packed.unpack_compiled(fast)


BOUNDS_CHECKED_RUN = """
import sys
import numpy as np
from livingspec import delta
from livingspec.delta import kernels, packed

assert kernels.load()
rng = np.random.default_rng(int(sys.argv[1]))
layouts = [(128, 4), (128, 1), (256, 4), (4096, 128)]
checked = 0
for trial in range(int(sys.argv[2])):
    kind = trial % 3
    if kind == 0:  # arbitrary bytes
        data = rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8).tobytes()
    elif kind == 1:  # a plausible header over arbitrary blocks
        block_size, miniblocks = layouts[trial % len(layouts)]
        body = rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8)
        body[rng.random(body.size) < 0.7] = rng.integers(0, 65)  # mostly widths a reader accepts
        count = int(rng.integers(0, 3000))
        data = delta.uleb128(block_size) + delta.uleb128(miniblocks) + delta.uleb128(count) + b"\\x00" + body.tobytes()
    else:  # a packed form, damaged and cut
        values = np.cumsum(rng.integers(-(2**40), 2**40, int(rng.integers(2, 2000))))
        encoded = bytearray(packed.pack_compiled(values, *layouts[trial % len(layouts)]))
        for _ in range(int(rng.integers(1, 4))):
            encoded[int(rng.integers(0, len(encoded)))] = int(rng.integers(0, 256))
        data = bytes(encoded[: int(rng.integers(0, len(encoded) + 1))])
    try:
        packed.unpack_compiled(data, max_values=10**6)
    except delta.DeltaError:
        pass
    checked += 1
print("checked", checked)
"""


@needs_numba
def test_the_compiled_loops_never_read_out_of_bounds_on_hostile_bytes(tmp_path):
    # numba does not check indices; with NUMBA_BOUNDSCHECK=1 an out-of-bounds read raises IndexError.
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    trials = 6000 if os.environ.get("CI") else 1500
    argv = [sys.executable, "-c", BOUNDS_CHECKED_RUN, "2026", str(trials)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"checked {trials}" in done.stdout


def test_importing_the_codec_or_coding_short_series_loads_no_compiler():
    script = (
        "import sys\n"
        "from livingspec import delta\n"
        "delta.unpack(delta.pack(list(range(100))))\n"
        "assert 'numba' not in sys.modules, 'numba was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
