"""Measures builds of stagehand against each other, the way bench/measure.py measures one.

    python3 bench/compare.py [--many] NAME=BINARY NAME=BINARY ...

Each binary renders the example environment (overlays/minicloud) and runs `generate` on
it, interleaved with the others (a, b, a, b, ...; bench/measure.py's `paired`), and, with
`--many`, renders 1,000 environments into an out-dir on tmpfs. The first binary is the
reference: every other's medians are given as a ratio to it. This is how the module
headers' figures for each optimisation are measured: the `dist` build of the code as it
is against a `dist` build with the one optimisation taken out.
BENCH_RUNS (default 200) and BENCH_MANY_RUNS (default 7) set the number of runs.
"""
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402  (the same runner, so the figures compare with BENCHMARKS.md)


def main(arguments):
    many = "--many" in arguments
    pairs = [argument.split("=", 1) for argument in arguments if argument != "--many"]
    if len(pairs) < 2 or any(len(pair) != 2 or not Path(pair[1]).is_file() for pair in pairs):
        sys.exit("usage: python3 bench/compare.py [--many] NAME=BINARY NAME=BINARY ...")
    builds = {name: Path(binary).resolve() for name, binary in pairs}  # `generate` runs elsewhere
    if len(builds) < len(pairs):
        sys.exit("compare.py: each NAME once")
    reference = pairs[0][0]
    work = Path(tempfile.mkdtemp(prefix="stagehand-compare-"))
    shm = Path("/dev/shm")
    out_parent = Path(tempfile.mkdtemp(prefix="stagehand-compare-", dir=shm)) if shm.is_dir() else work
    measure.STAGEHAND = builds[reference]  # validates the copies measure.py makes
    try:
        single = measure.one_environment_commands(builds, measure.sealed_copy(work))
        rows = [(command, {name: single[(name, command)] for name in builds}, measure.RUNS, None)
                for command in ["render", "generate"]]
        if many:
            files = measure.many_environments(work / "envs", 1000)
            commands, clear = measure.many_environments_commands(builds, files, out_parent)
            rows.append(("render 1,000 --out-dir (tmpfs)", commands, measure.MANY_RUNS, clear))
        print(f"| command | {' | '.join(builds)} |")
        print(f"|---|{'---|' * len(builds)}")
        for label, commands, runs, before in rows:
            median = measure.paired(commands, runs, before)
            cells = [measure.ms(median[reference])]
            cells += [f"{measure.ms(median[name])} ({median[name] / median[reference]:.3f}×)"
                      for name in builds if name != reference]
            print(f"| {label} ({runs} runs) | {' | '.join(cells)} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(out_parent, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
