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
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402  (the same runner, so the figures compare with BENCHMARKS.md)


def main(arguments):
    many = "--many" in arguments
    builds = [argument.split("=", 1) for argument in arguments if argument != "--many"]
    if len(builds) < 2 or any(len(build) != 2 or not Path(build[1]).is_file() for build in builds):
        sys.exit("usage: python3 bench/compare.py [--many] NAME=BINARY NAME=BINARY ...")
    work = Path(tempfile.mkdtemp(prefix="stagehand-compare-"))
    shm = Path("/dev/shm")
    out_parent = Path(tempfile.mkdtemp(prefix="stagehand-compare-", dir=shm)) if shm.is_dir() else work
    measure.STAGEHAND = builds[0][1]  # validates the copies measure.py makes
    try:
        minicloud = measure.sealed_copy(work)
        generate_env = dict(os.environ, ARGOCD_APP_SOURCE_PATH="overlays/minicloud",
                            KUBE_API_VERSIONS=measure.KUBE_API_VERSIONS)
        rows = [("render", {name: dict(argv=[binary, "render", minicloud]) for name, binary in builds},
                 measure.RUNS, None),
                ("generate", {name: dict(argv=[binary, "generate"], cwd=minicloud, env=generate_env)
                              for name, binary in builds}, measure.RUNS, None)]
        if many:
            files = measure.many_environments(work / "envs", 1000)
            outs = {name: out_parent / f"out-{index}" for index, (name, _) in enumerate(builds)}
            rows.append(("render 1,000 --out-dir (tmpfs)",
                         {name: dict(argv=[binary, "render", "-q", *files, "--out-dir", outs[name]])
                          for name, binary in builds},
                         measure.MANY_RUNS, lambda name: shutil.rmtree(outs[name], ignore_errors=True)))
        reference = builds[0][0]
        print(f"| command | {' | '.join(name for name, _ in builds)} |")
        print(f"|---|{'---|' * len(builds)}")
        for label, commands, runs, before in rows:
            median = measure.paired(commands, runs, before)
            cells = [measure.ms(median[reference])]
            cells += [f"{measure.ms(median[name])} ({median[name] / median[reference]:.3f}×)"
                      for name, _ in builds[1:]]
            print(f"| {label} ({runs} runs) | {' | '.join(cells)} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(out_parent, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
