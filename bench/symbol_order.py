"""Writes symbol-order.txt: the functions a single render runs, for the linker to place
side by side (build.rs hands the file to lld as --symbol-ordering-file).

One `stagehand render` runs about 800 functions, 1 MB of code spread over 6.6 MB of text.
A process that starts after the machine did anything else for a few tens of milliseconds
(every ArgoCD call, every render a person types) finds none of that code in the CPU's
caches, and pays for every page and cache line it touches; placed side by side, the same
functions took 10 to 16% less wall time in that state (bench/run.sh measures it).

Run it after changing which code a render takes (new stages, new dependencies):

    python3 bench/symbol_order.py

It builds the release binary, runs `render`, `validate` and `generate` under valgrind's
callgrind (which lists every function that ran, not a sample), and keeps the names the
binary defines. A run on a binary already laid out by the list gives the same functions in
another order, and the order matters too: on 2026-12-01 a regenerated list that placed all
845 functions made one render about 0.1 ms slower than the old list with 838 of them placed
(same code, paired runs), and was reverted. Measure one render with the new list against the
old one (bench/measure.py's paired runs) before keeping it. Names carry
a hash of the crate and compiler version: after a toolchain or dependency update the old
names match nothing and the linker ignores them (no error, no gain) until this script is
run again. Needs valgrind and openssl (for a sealed copy of the
seed's environment, as bench/measure.py makes it).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import measure

ROOT = measure.ROOT
BINARY = measure.STAGEHAND
ORDER_FILE = ROOT / "symbol-order.txt"
FUNCTION = re.compile(r"^c?fn=\(\d+\) (\S+)$")


def executed_functions(argv, cwd=None, env=None):
    """The mangled names of the functions `argv` runs, in the order callgrind lists them."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out.name}",
                        *map(str, argv)], cwd=cwd, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        names = []
        for line in Path(out.name).read_text().splitlines():
            match = FUNCTION.match(line)
            if match:
                names.append(match.group(1))
        return names


def defined_text_symbols():
    """Names of the functions the release binary defines (its symbol table)."""
    listing = subprocess.run(["nm", "--defined-only", BINARY], check=True, capture_output=True, text=True).stdout
    return {parts[2] for parts in (line.split() for line in listing.splitlines())
            if len(parts) == 3 and parts[1] in "tTwW"}


def main():
    if shutil.which("valgrind") is None:
        sys.exit("symbol_order.py needs valgrind (apt install valgrind)")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    work = Path(tempfile.mkdtemp(prefix="stagehand-order-"))
    try:
        minicloud = measure.sealed_copy(work)
        generate_env = dict(os.environ, ARGOCD_APP_SOURCE_PATH="overlays/minicloud",
                            KUBE_API_VERSIONS=measure.KUBE_API_VERSIONS)
        runs = [
            dict(argv=[BINARY, "render", minicloud]),
            dict(argv=[BINARY, "render", ROOT / "overlays/minicloud"]),
            dict(argv=[BINARY, "validate", minicloud]),
            dict(argv=[BINARY, "generate"], cwd=minicloud, env=generate_env),
        ]
        defined = defined_text_symbols()
        order = []
        for run in runs:
            for name in executed_functions(**run):
                if name in defined:
                    order.append(name)
                    defined.discard(name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ORDER_FILE.write_text("".join(f"{name}\n" for name in order))
    print(f"{ORDER_FILE.name}: {len(order)} functions")


if __name__ == "__main__":
    main()
