"""Cold start of `ponder` to the first painted library screen, against a bare Textual app.

Each run spawns the program in a fresh pseudo-terminal (100×30) and stops the clock when
a marker from the first painted screen appears in its output: the library's status line
for Ponder, "Hello, world" for a minimal Textual app started the same way. The two are
interleaved so machine noise hits both alike; one warm-up run each is discarded.

    python benchmarks/bench_startup.py [--runs 5] [--json]

Prints the medians and the ratio (target: Ponder ≤ 1.5× the bare app). "existing" is a
library that has been opened before (the everyday case); "first run" starts from an empty
PONDER_HOME, so it also creates the database and seeds the demo.

Bytecode: an installed Ponder has its .pyc files (pip compiles on install, and Python
writes them on first run), while Textual always has them. PYTHONDONTWRITEBYTECODE=1 in
the environment would make every run recompile Ponder's own modules from source (~40 ms
here) and measure that instead, so it is removed for the runs unless
`--no-bytecode-cache` asks to measure exactly that.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

HELLO_APP = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("Hello, world")

Hello().run()
"""
PONDER_MARKER = b"sorted by"
HELLO_MARKER = b"Hello, world"
COLUMNS, ROWS = 100, 30
TIMEOUT_S = 20.0


def ponder_command() -> list[str]:
    """The installed `ponder` script next to this Python, else `python -m tui.cli`."""
    script = Path(sys.executable).with_name("ponder")
    if script.exists():
        return [str(script)]
    found = shutil.which("ponder")
    return [found] if found else [sys.executable, "-m", "tui.cli"]


def time_to_marker(command: list[str], marker: bytes, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from spawning `command` in a pty until `marker` appears in its output,
    and the CPU seconds (user + system) the process had used by then."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        try:
            os.execvpe(command[0], command, env)
        finally:
            os._exit(127)
    started = time.perf_counter()
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    seen = b""
    try:
        while True:
            remaining = TIMEOUT_S - (time.perf_counter() - started)
            if remaining <= 0:
                raise TimeoutError(f"{command[0]}: no {marker!r} within {TIMEOUT_S} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child exited
                raise RuntimeError(
                    f"{command[0]} exited before painting: {seen[-500:]!r}"
                ) from None
            if not chunk:
                raise RuntimeError(f"{command[0]} closed its terminal: {seen[-500:]!r}")
            seen += chunk
            if marker in seen:
                wall = time.perf_counter() - started
                os.kill(pid, signal.SIGSTOP)  # freeze the CPU account at the first paint
                return wall, _cpu_seconds(pid)
            seen = seen[-4096:]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a (stopped) process, from /proc; NaN where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def base_env(home: Path, *, bytecode_cache: bool = True) -> dict[str, str]:
    drop = (
        ("ANTHROPIC_", "TEXTUAL", "PYTHONDONTWRITEBYTECODE")
        if bytecode_cache
        else ("ANTHROPIC_", "TEXTUAL")
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(drop)}
    env.update(PONDER_HOME=str(home), TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(ROWS))
    return env


def measure(runs: int, *, bytecode_cache: bool = True) -> dict[str, object]:
    ponder = ponder_command()
    hello = [sys.executable, "-c", HELLO_APP]
    with tempfile.TemporaryDirectory(prefix="ponder-bench-") as tmp:
        existing_home = Path(tmp) / "existing"
        existing_home.mkdir()
        env = base_env(existing_home, bytecode_cache=bytecode_cache)
        # Warm-up (also creates the library the "existing" runs open).
        time_to_marker(ponder, PONDER_MARKER, env)
        time_to_marker(hello, HELLO_MARKER, env)
        samples: dict[str, list[tuple[float, float]]] = {"hello": [], "ponder": [], "first": []}
        for run in range(runs):
            samples["hello"].append(time_to_marker(hello, HELLO_MARKER, env))
            samples["ponder"].append(time_to_marker(ponder, PONDER_MARKER, env))
            fresh = Path(tmp) / f"fresh-{run}"
            fresh.mkdir()
            fresh_env = base_env(fresh, bytecode_cache=bytecode_cache)
            samples["first"].append(time_to_marker(ponder, PONDER_MARKER, fresh_env))

    def median_ms(name: str, index: int) -> float:
        return round(statistics.median(sample[index] for sample in samples[name]) * 1000, 1)

    def min_ms(name: str) -> float:
        return round(min(sample[0] for sample in samples[name]) * 1000, 1)

    hello_ms, ponder_ms, first_ms = (median_ms(name, 0) for name in ("hello", "ponder", "first"))
    hello_cpu, ponder_cpu = median_ms("hello", 1), median_ms("ponder", 1)
    return {
        "runs": runs,
        "hello_world_ms": hello_ms,
        "ponder_existing_library_ms": ponder_ms,
        "ponder_first_run_ms": first_ms,
        "ratio_existing": round(ponder_ms / hello_ms, 2),
        "ratio_first_run": round(first_ms / hello_ms, 2),
        "hello_world_min_ms": min_ms("hello"),
        "ponder_existing_library_min_ms": min_ms("ponder"),
        "ratio_min": round(min_ms("ponder") / min_ms("hello"), 2),
        "hello_world_cpu_ms": hello_cpu,
        "ponder_existing_library_cpu_ms": ponder_cpu,
        "ratio_cpu": round(ponder_cpu / hello_cpu, 2) if hello_cpu else None,
        "target_ratio": 1.5,
        "bytecode_cache": bytecode_cache,
        "command": " ".join(ponder),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each (median)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE from the environment (recompile every run)",
    )
    args = parser.parse_args()
    result = measure(max(1, args.runs), bytecode_cache=not args.no_bytecode_cache)
    if args.json:
        print(json.dumps(result))
        return 0
    cache = "with .pyc files" if result["bytecode_cache"] else "recompiling (no .pyc)"
    print(f"Start-up to first paint, median of {result['runs']} (100×30 pty, {cache}):")
    print(f"  bare Textual hello world        {result['hello_world_ms']:7.1f} ms")
    print(
        f"  ponder, existing library        {result['ponder_existing_library_ms']:7.1f} ms"
        f"   ratio {result['ratio_existing']:.2f}×"
    )
    print(
        f"  ponder, first run (new library) {result['ponder_first_run_ms']:7.1f} ms"
        f"   ratio {result['ratio_first_run']:.2f}×"
    )
    print(
        f"  fastest runs: hello {result['hello_world_min_ms']:.0f} ms, ponder "
        f"{result['ponder_existing_library_min_ms']:.0f} ms, ratio {result['ratio_min']:.2f}×"
    )
    print(
        f"  CPU time (user+sys): hello {result['hello_world_cpu_ms']:.0f} ms, ponder "
        f"{result['ponder_existing_library_cpu_ms']:.0f} ms, ratio {result['ratio_cpu']}×"
    )
    print(f"  target: ≤ {result['target_ratio']}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
