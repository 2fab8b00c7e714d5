"""Measures stagehand side by side with its yardsticks and writes BENCHMARKS.md.

Every comparison is measured in this one run, on this machine, interleaved (a, b, a, b,
...) so that both sides see the same machine state:
- one render against /bin/true (a process that does nothing), `stagehand --version`,
  `generate` and `kubectl kustomize` on an equivalent tree, with the `dist` build (fat
  LTO) and the `release` build (thin LTO);
- 1,000 environments rendered into an out-dir against a minimal writer that creates the
  same files with the same bytes (examples/minimal_writer.rs), on tmpfs and on disk;
- `diff --base` of 1,000 environments with one changed against all changed;
- `render --expand-chart` against `helm template` alone on the same chart and values;
- the musl build (the ArgoCD image's binary) against the glibc build, one environment and
  1,000, when bench/run.sh built it (STAGEHAND_BENCH_MUSL names it);
- the per-stage criterion medians and the hostile-input corpus (both run by bench/run.sh
  first, read here from target/).
Peak RSS comes from GNU time. Nothing here is a pass/fail gate: the targets table says
which goals hold on this run.
"""
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The `dist` build (fat LTO: the published binaries and the image) is the one measured
# throughout; the `release` build (thin LTO: `cargo build --release`, `cargo install`) is
# measured beside it on one environment.
STAGEHAND = ROOT / "target/dist/stagehand"
RELEASE = ROOT / "target/release/stagehand"
WRITER = ROOT / "target/release/examples/minimal_writer"
CHART = ROOT.parent / "shared/charts/backstage-2.7.0.tgz"
MUSL = os.environ.get("STAGEHAND_BENCH_MUSL")
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
MANY_RUNS = int(os.environ.get("BENCH_MANY_RUNS", "7"))
SCALES = [1, 10, 100, 1000]
KUBE_API_VERSIONS = "v1,networking.k8s.io/v1,cert-manager.io/v1,bitnami.com/v1alpha1,argoproj.io/v1alpha1"

DEVNULL = os.open(os.devnull, os.O_WRONLY)


def run(argv, cwd=None, env=None, ok=(0,)):
    """Wall seconds of one process, its output discarded. posix_spawn, not fork, so that
    nothing of this interpreter is copied into the child."""
    argv = [str(a) for a in argv]
    program = shutil.which(argv[0]) or argv[0]
    actions = [(os.POSIX_SPAWN_DUP2, DEVNULL, 1), (os.POSIX_SPAWN_DUP2, DEVNULL, 2)]
    previous = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(program, argv, env or os.environ, file_actions=actions)
        _, status, _ = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.chdir(previous)
    if os.waitstatus_to_exitcode(status) not in ok:
        sys.exit(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(argv)}")
    return wall


def paired_samples(commands, runs, before=None):
    """Wall seconds of each named command, run interleaved `runs` times: sample i of every
    command comes from round i. The order within a round flips every round, so that a
    machine that speeds up or slows down through the run (a VM's disk budget draining)
    does not favour whichever command goes first. `before` (if given) runs untimed before
    each timed run, e.g. to clear an output folder."""
    samples = {name: [] for name in commands}
    for name, spec in commands.items():
        if before:
            before(name)
        run(**spec)  # warm the page cache
    order = list(commands.items())
    for round_number in range(runs):
        for name, spec in (order if round_number % 2 == 0 else order[::-1]):
            if before:
                before(name)
            samples[name].append(run(**spec))
    return samples


def medians(samples):
    """The median of each named command's samples."""
    return {name: statistics.median(values) for name, values in samples.items()}


def paired(commands, runs, before=None):
    """Median wall seconds of each named command (see `paired_samples`)."""
    return medians(paired_samples(commands, runs, before))


def peak_rss_mib(argv, cwd=None, env=None, runs=10, ok=(0,)):
    """Largest peak RSS in MiB over `runs` runs, read by GNU time."""
    peaks = []
    for _ in range(runs):
        done = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, argv)], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode not in ok:
            sys.exit(f"failed: {' '.join(map(str, argv))}: {done.stderr[-300:]}")
        peaks.append(int(done.stderr.strip().splitlines()[-1]))
    return max(peaks) / 1024.0


def kustomize_tree(work):
    """A kustomize base with the same four objects plus the values as a ConfigMap, and an
    overlay patching the hostname and the resources, as users write it by hand today."""
    rendered = work / "rendered"
    subprocess.run([STAGEHAND, "render", ROOT / "overlays/minicloud", "--out-dir", rendered], check=True,
                   stderr=subprocess.DEVNULL)
    base = work / "kustomize/base"
    base.mkdir(parents=True)
    for name in ["sealed-secret.yaml", "certificate.yaml", "ingress.yaml"]:
        shutil.copy(rendered / name, base / name)
    values = (rendered / "values.yaml").read_text()
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "backstage-values", "namespace": "backstage"},
                 "data": {"values.yaml": values}}
    (base / "values-configmap.yaml").write_text(json.dumps(configmap, indent=2))
    (base / "kustomization.yaml").write_text(
        "resources: [sealed-secret.yaml, certificate.yaml, ingress.yaml, values-configmap.yaml]\n")
    overlay = work / "kustomize/overlay"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text("""resources: [../base]
patches:
  - target: { kind: Ingress, name: backstage }
    patch: |
      - { op: replace, path: /spec/rules/0/host, value: portal.example.org }
      - { op: replace, path: /spec/tls/0/hosts/0, value: portal.example.org }
  - target: { kind: Certificate, name: backstage-tls }
    patch: |
      - { op: replace, path: /spec/dnsNames/0, value: portal.example.org }
  - target: { kind: ConfigMap, name: backstage-values }
    patch: |
      - { op: add, path: /metadata/annotations, value: { resources: "cpu=200m,memory=512Mi" } }
""")
    return overlay, rendered


def sealed_copy(work):
    """The example environment (sealed already, with the repository's public test
    certificate: `generate` refuses placeholders) in a repository of its own, so that
    render and generate read the same file."""
    folder = work / "app/overlays/minicloud"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "overlays/minicloud/environment.yaml", folder / "environment.yaml")
    subprocess.run([STAGEHAND, "validate", folder], check=True, capture_output=True)
    return folder


def many_environments(folder, count):
    """`count` copies of the dev environment, each with its own name, namespace and
    hostname (environments sharing one would be refused), without the dev environment's
    sealed values (they are sealed for its namespace)."""
    template = (ROOT / "overlays/dev/environment.yaml").read_text()
    start = template.index("    encryptedData:\n")
    end = template.index("      scope: strict\n") + len("      scope: strict\n")
    template = template[:start] + template[end:]
    for index in range(count):
        env = folder / f"env{index:04d}"
        env.mkdir(parents=True)
        (env / "environment.yaml").write_text(
            template.replace("name: dev", f"name: env{index:04d}")
            .replace("namespace: backstage-dev", f"namespace: backstage-env{index:04d}")
            .replace("backstage-dev.", f"backstage-{index:04d}."))
    return sorted(str(p) for p in folder.iterdir())


def pack(tree, into):
    """The files under `tree` as one pack for the minimal writer: (path, bytes) records."""
    records = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        name = str(path.relative_to(tree)).encode()
        data = path.read_bytes()
        records += [struct.pack("<I", len(name)), name, struct.pack("<I", len(data)), data]
    into.write_bytes(b"".join(records))
    return sum(1 for p in tree.rglob("*") if p.is_file())


def same_tree(a, b):
    """Whether two folders hold the same files with the same bytes."""
    files = lambda root: {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return files(a) == files(b)


def criterion_medians():
    out = []
    for estimates in sorted((ROOT / "target/criterion").glob("*/new/estimates.json")):
        name = estimates.parent.parent.name
        median = json.loads(estimates.read_text())["median"]["point_estimate"]
        out.append((name, median / 1000.0))
    return out


def hostile_rows():
    path = ROOT / "target/hostile-bench.tsv"
    if not path.is_file():
        return []
    lines = path.read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


def git(repository, *args):
    subprocess.run(["git", "-C", str(repository), *args], check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
                            GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org"))


def set_hostnames(repository, indexes, prefix):
    for index in indexes:
        file = repository / f"overlays/env{index:04d}/environment.yaml"
        text = file.read_text()
        file.write_text(text.replace(f"hostname: backstage-{index:04d}.", f"hostname: {prefix}-{index:04d}."))


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


class Goals:
    """The targets table: what was measured against what was asked."""

    def __init__(self):
        self.rows = []

    def add(self, goal, measured, target, met):
        self.rows.append(f"| {goal} | {measured} | {target} | {'yes' if met else '**no**'} |")

    def report(self, figure, measured):
        """A figure shown beside the goals, without a target (a retired goal)."""
        self.rows.append(f"| {figure} | {measured} | reported (not a goal) | |")


def generate_environment():
    """The variables ArgoCD gives `generate` for the example environment."""
    return dict(os.environ, ARGOCD_APP_SOURCE_PATH="overlays/minicloud", KUBE_API_VERSIONS=KUBE_API_VERSIONS)


def one_environment_commands(builds, minicloud):
    """`render` and `generate` of the example environment for each build (name → binary),
    keyed (name, command): run them together, interleaved."""
    generate_env = generate_environment()
    commands = {}
    for name, binary in builds.items():
        commands[(name, "render")] = dict(argv=[binary, "render", minicloud])
        commands[(name, "generate")] = dict(argv=[binary, "generate"], cwd=minicloud, env=generate_env)
    return commands


def builds_out_dir(out_parent, name):
    """Where build `name` renders the many environments of `many_environments_commands`."""
    return out_parent / f"builds-out-{name}"


def many_environments_commands(builds, envs, out_parent):
    """`render --out-dir` of the environment files `envs` for each build, with the `before`
    that clears each build's out-dir (for `paired`)."""
    commands = {name: dict(argv=[binary, "render", "-q", "--out-dir", builds_out_dir(out_parent, name), *envs])
                for name, binary in builds.items()}
    return commands, lambda name: shutil.rmtree(builds_out_dir(out_parent, name), ignore_errors=True)


def musl_build(minicloud, envs, out_parent, filesystem):
    """The ArgoCD image's binary (a musl build, argocd-cmp/Dockerfile) beside the glibc build
    measured everywhere else: one environment, and the environment files `envs` (1,000)
    into an out-dir."""
    lines = ["## The ArgoCD image's build (musl) beside the glibc build", ""]
    if not MUSL:
        return lines + ["Not measured on this run: the musl target is not installed "
                        "(`rustup target add x86_64-unknown-linux-musl`, then `bash bench/run.sh`).", ""]
    builds = {"glibc": STAGEHAND, "musl": ROOT / MUSL}
    single = one_environment_commands(builds, minicloud)
    median = paired(single, RUNS)
    peak = {key: peak_rss_mib(**spec) for key, spec in single.items()}
    many, clear = many_environments_commands(builds, envs, out_parent)
    many_median = paired(many, MANY_RUNS, before=clear)
    if not same_tree(builds_out_dir(out_parent, "glibc"), builds_out_dir(out_parent, "musl")):
        sys.exit("the musl build's out-dir differs from the glibc build's")
    for name in many:
        clear(name)
    lines += [f"One environment: {RUNS} interleaved runs; 1,000 environments into an out-dir on "
              f"{filesystem}: {MANY_RUNS} (the two builds' "
              "files are checked to be byte-identical).", "",
              "| command | glibc build | musl build | musl ÷ glibc | peak RSS glibc / musl |", "|---|---|---|---|---|"]
    for command in ["render", "generate"]:
        glibc, ours = median[("glibc", command)], median[("musl", command)]
        lines.append(f"| `stagehand {command}` | {ms(glibc)} | {ms(ours)} | {ours / glibc:.2f} | "
                     f"{peak[('glibc', command)]:.1f} / {peak[('musl', command)]:.1f} MiB |")
    lines.append(f"| `render --out-dir`, 1,000 environments | {ms(many_median['glibc'])} | {ms(many_median['musl'])} | "
                 f"{many_median['musl'] / many_median['glibc']:.2f} | |")
    return lines + [""]


def main():
    if not STAGEHAND.is_file() or not RELEASE.is_file() or not WRITER.is_file():
        sys.exit("build first: cargo build --profile dist && cargo build --release --example minimal_writer "
                 "(bash bench/run.sh does)")
    work = Path(tempfile.mkdtemp(prefix="stagehand-bench-"))
    tmpfs = Path(tempfile.mkdtemp(prefix="stagehand-bench-", dir="/dev/shm")) if Path("/dev/shm").is_dir() else None
    goals = Goals()
    lines = []
    try:
        # --- One environment, whole process --------------------------------------------
        overlay, rendered = kustomize_tree(work)
        minicloud = sealed_copy(work)
        generate_env = generate_environment()
        single = {
            "true": dict(argv=["/bin/true"]),
            "version": dict(argv=[STAGEHAND, "--version"]),
            "render": dict(argv=[STAGEHAND, "render", minicloud]),
            "generate": dict(argv=[STAGEHAND, "generate"], cwd=minicloud, env=generate_env),
            "release render": dict(argv=[RELEASE, "render", minicloud]),
        }
        # `kubectl kustomize` (a 50 ms Go process of 46 MiB) leaves the CPU caches cold for
        # whatever runs after it: in the same rounds as the others it cost the command after
        # it about 0.2 ms (generate measured 1.14 times render that way, 0.99 times without
        # it). It is timed in rounds of its own, against the two renders.
        median = paired(single, RUNS)
        kustomize = {"render": single["render"], "release render": single["release render"],
                     "kustomize": dict(argv=["kubectl", "kustomize", overlay])}
        against_kustomize = paired(kustomize, RUNS)
        median["kustomize"] = against_kustomize["kustomize"]
        peak = {name: peak_rss_mib(**spec) for name, spec in {**single, **kustomize}.items()}
        over_true = median["render"] / median["true"]
        under_kustomize = against_kustomize["kustomize"] / against_kustomize["render"]
        generate_ratio = median["generate"] / median["render"]
        release_over_true = median["release render"] / median["true"]
        release_under_kustomize = against_kustomize["kustomize"] / against_kustomize["release render"]
        goals.add("render: share of `kubectl kustomize`", f"1/{under_kustomize:.1f}", "at most 1/30",
                  under_kustomize >= 30)
        goals.add("render: times `/bin/true`", f"{over_true:.2f}×", "at most 2.5×", over_true <= 2.5)
        goals.add("render: peak RSS", f"{peak['render']:.1f} MiB", "at most 6 MiB", peak["render"] <= 6)
        goals.add("generate: times render", f"{generate_ratio:.3f}×", "at most 1.05×", generate_ratio <= 1.05)
        goals.add("`release` build render: times `/bin/true`", f"{release_over_true:.2f}×", "at most 4×",
                  release_over_true <= 4)
        goals.add("`release` build render: share of `kubectl kustomize`", f"1/{release_under_kustomize:.1f}",
                  "at most 1/20", release_under_kustomize >= 20)
        lines += [
            f"## One environment, whole process ({RUNS} interleaved runs each)",
            "",
            "| command | median wall | × `/bin/true` | peak RSS |",
            "|---|---|---|---|",
        ]
        labels = {
            "true": "`/bin/true` (a process that does nothing)",
            "version": "`stagehand --version` (start-up and exit)",
            "render": "`stagehand render overlays/minicloud` (`dist` build)",
            "release render": "the same, `release` build (thin LTO)",
            "generate": "`stagehand generate` (ArgoCD inputs)",
            "kustomize": "`kubectl kustomize` (equivalent base + overlay)",
        }
        lines += [f"| {labels[name]} | {ms(median[name])} | {median[name] / median['true']:.2f} | {peak[name]:.1f} MiB |"
                  for name in [*single, "kustomize"]]
        lines += ["", "`kubectl kustomize` runs in rounds of its own with the two renders (run after it, a "
                  "command starts with cold CPU caches); its shares come from those rounds, where render took "
                  f"{ms(against_kustomize['render'])} (`dist`) and {ms(against_kustomize['release render'])} "
                  "(`release`).", ""]

        envs_root = work / "envs"
        files = many_environments(envs_root, SCALES[-1])
        lines += musl_build(minicloud, files, tmpfs or work, "tmpfs" if tmpfs else "disk")

        # --- Stages in process -----------------------------------------------------------
        stages = criterion_medians()
        whole = [micros for name, micros in stages if name.startswith("8 ")]
        if whole:
            goals.add("pipeline in process (criterion)", f"{whole[0]:.1f} µs", "at most 500 µs", whole[0] <= 500)
        lines += ["## Stages, in process (criterion medians, `cargo bench --bench stages`)", "",
                  "| stage | median |", "|---|---|"]
        lines += [f"| {name} | {micros:.1f} µs |" for name, micros in stages]
        lines += [""]

        # --- Many environments -----------------------------------------------------------
        scale_rows = []
        for count in SCALES:
            subset = files[:count]
            row = {}
            for label, parent in [("tmpfs", tmpfs), ("disk", work)]:
                if parent is None:
                    continue
                out = parent / f"stagehand-bench-out-{count}"
                clear = lambda _name, out=out: shutil.rmtree(out, ignore_errors=True)
                row[label] = paired({"render": dict(argv=[STAGEHAND, "render", "--out-dir", out, *subset])},
                                    MANY_RUNS, before=clear)["render"]
                clear(None)
            row["validate"] = paired({"validate": dict(argv=[STAGEHAND, "validate", *subset])}, MANY_RUNS)["validate"]
            scale_rows.append((count, row))
        # 1,000 against the minimal writer, same bytes, same filesystem, interleaved.
        reference = work / "out-1000"
        subprocess.run([STAGEHAND, "render", "--out-dir", reference, *files], check=True, stderr=subprocess.DEVNULL)
        pack_file = work / "out-1000.pack"
        file_count = pack(reference, pack_file)
        writer_rows = []
        for label, parent in [("tmpfs", tmpfs), ("disk", work)]:
            if parent is None:
                continue
            outs = {"stagehand": parent / "bench-stagehand", "writer": parent / "bench-writer"}
            clear = lambda name, outs=outs: shutil.rmtree(outs[name], ignore_errors=True)
            samples = paired_samples({
                "stagehand": dict(argv=[STAGEHAND, "render", "--out-dir", outs["stagehand"], *files]),
                "writer": dict(argv=[WRITER, pack_file, outs["writer"]]),
            }, MANY_RUNS, before=clear)
            result = medians(samples)
            # Each round's two runs are back to back: their ratios show how far the
            # filesystem's speed moved during the run.
            round_ratios = [ours / writer for ours, writer in zip(samples["stagehand"], samples["writer"])]
            if not same_tree(outs["stagehand"], outs["writer"]) or not same_tree(outs["stagehand"], reference):
                sys.exit(f"the minimal writer's files differ from stagehand's on {label}")
            for out in outs.values():
                shutil.rmtree(out, ignore_errors=True)
            writer_rows.append((label, result["stagehand"], result["writer"], min(round_ratios), max(round_ratios)))
            # Reported, no longer a goal: file creation is kernel work, and on disk the
            # figure measures the VM's I/O budget.
            goals.report(f"1,000 environments vs minimal writer ({label})",
                         f"{result['stagehand'] / result['writer']:.2f}×")
            if label == "tmpfs":
                goals.add("1,000 environments to tmpfs", ms(result["stagehand"]), "at most 500 ms",
                          result["stagehand"] <= 0.5)
        many_out = (tmpfs or work) / "bench-rss"
        rss_many = peak_rss_mib([STAGEHAND, "render", "--out-dir", many_out, *files], runs=3)
        shutil.rmtree(many_out, ignore_errors=True)
        goals.add("render 1,000 environments: peak RSS", f"{rss_many:.1f} MiB", "at most 64 MiB", rss_many <= 64)
        render_1000 = scale_rows[-1][1].get("tmpfs", scale_rows[-1][1]["disk"])
        validate_1000 = scale_rows[-1][1]["validate"]
        goals.add("validate 1,000 vs render 1,000 to tmpfs", f"{ms(validate_1000)} vs {ms(render_1000)}",
                  "at most equal", validate_1000 <= render_1000)
        # One environment of the 1,000 run equals rendering it alone.
        alone = work / "alone"
        subprocess.run([STAGEHAND, "render", "--out-dir", alone, files[7]], check=True, stderr=subprocess.DEVNULL)
        if not same_tree(alone, reference / "env0007"):
            sys.exit("env0007 differs between a lone and a many-environment render")

        lines += [
            f"## Many environments in one process (median of {MANY_RUNS} interleaved runs)",
            "",
            "| environments | `render --out-dir` on tmpfs | per environment | `render --out-dir` on disk | `validate ENV...` |",
            "|---|---|---|---|---|",
        ]
        for count, row in scale_rows:
            tmpfs_wall = row.get("tmpfs")
            lines.append(f"| {count} | {ms(tmpfs_wall) if tmpfs_wall else 'no tmpfs'} | "
                         f"{ms(tmpfs_wall / count) if tmpfs_wall else ''} | {ms(row['disk'])} | {ms(row['validate'])} |")
        lines += [
            "",
            f"Against a minimal writer (`examples/minimal_writer.rs`: the same {file_count:,} files with the same bytes, "
            "read from one pack file, written one folder per task on as many threads as stagehand uses):",
            "",
            "| filesystem | `stagehand render --out-dir` (1,000) | minimal writer | ratio of the medians | ratio within one round, lowest to highest |",
            "|---|---|---|---|---|",
        ]
        lines += [f"| {label} | {ms(ours)} | {ms(writer)} | {ours / writer:.2f} | {low:.2f} to {high:.2f} |"
                  for label, ours, writer, low, high in writer_rows]
        lines += ["", f"Peak RSS of `render --out-dir` over 1,000 environments: {rss_many:.1f} MiB. "
                  "The out-dir of env0007 in the 1,000-environment run is byte-identical to rendering it alone "
                  "(checked by the script).", ""]

        # --- diff over 1,000 environments ------------------------------------------------
        repository = work / "gitops"
        shutil.copytree(envs_root, repository / "overlays")
        git(repository, "init", "-q", "-b", "main")
        git(repository, "add", "-A")
        git(repository, "commit", "-q", "-m", "1,000 environments")
        diff_argv = [STAGEHAND, "diff", "--base", "HEAD", "overlays"]
        diff_times = {}
        for label, indexes in [("none", []), ("one", [7]), ("all", range(SCALES[-1]))]:
            git(repository, "checkout", "-q", ".")
            set_hostnames(repository, indexes, "changed")
            diff_times[label] = paired({"diff": dict(argv=diff_argv, cwd=repository, ok=(0, 1))}, MANY_RUNS)["diff"]
            summary = subprocess.run(diff_argv, cwd=repository, capture_output=True, text=True).stdout.splitlines()[0]
            expected = {"none": "no differences in 1000 environment(s)",
                        "one": "1 of 1000 environment(s) differ",
                        "all": "1000 of 1000 environment(s) differ"}[label]
            if summary != expected:
                sys.exit(f"diff with {label} changed printed {summary!r}, expected {expected!r}")
        git(repository, "checkout", "-q", ".")
        share = diff_times["one"] / diff_times["all"]
        goals.add("`diff --base`: one of 1,000 changed vs all", f"1/{1 / share:.1f}", "at most 1/5", share <= 0.2)
        lines += [
            f"## `diff --base HEAD` over 1,000 environments (median of {MANY_RUNS}, repository on disk)",
            "",
            "| changed between HEAD and the working tree | wall |",
            "|---|---|",
            f"| none | {ms(diff_times['none'])} |",
            f"| one (a hostname) | {ms(diff_times['one'])} |",
            f"| all 1,000 (each hostname) | {ms(diff_times['all'])} |",
            "",
            "Environments whose file, base and templates are byte-identical on both sides are not rendered.",
            "",
        ]

        # --- --expand-chart against helm template alone ------------------------------------
        helm = shutil.which(os.environ.get("STAGEHAND_HELM") or "helm")
        lines += ["## `render --expand-chart` against `helm template` alone", ""]
        if helm and CHART.is_file():
            expand = {
                "helm": dict(argv=[helm, "template", CHART, "--name-template", "backstage", "--namespace",
                                   "backstage", "--values", rendered / "values.yaml", "--include-crds"]),
                "stagehand": dict(argv=[STAGEHAND, "render", minicloud, "--expand-chart", "--chart", CHART]),
            }
            chart_median = paired(expand, max(RUNS // 5, 20))
            chart_ratio = chart_median["stagehand"] / chart_median["helm"]
            helm_version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip()
            goals.add("`render --expand-chart` vs `helm template`", f"{chart_ratio:.3f}×", "at most 1.1×",
                      chart_ratio <= 1.1)
            lines += [
                f"Helm {helm_version}, chart `{CHART.name}`, the same values, release name and namespace "
                f"({max(RUNS // 5, 20)} interleaved runs):",
                "",
                "| command | median wall |",
                "|---|---|",
                f"| `helm template` alone | {ms(chart_median['helm'])} |",
                f"| `stagehand render --expand-chart --chart` | {ms(chart_median['stagehand'])} |",
                "",
            ]
        else:
            lines += [f"Not measured on this run: {'helm' if not helm else CHART} is missing.", ""]

        # --- hostile input -------------------------------------------------------------------
        hostile = hostile_rows()
        lines += ["## Hostile input (`cargo bench --bench hostile`, release build)", ""]
        if hostile:
            slowest = max(max(float(r["render_max"]), float(r["validate_max"])) for r in hostile)
            goals.add("slowest answer to an input of at most 1 MiB", ms(slowest), "under 200 ms", slowest < 0.2)
            lines += [
                "Each input of the corpus (benches/hostile_corpus.rs) as an environment file, answered by "
                "`render` and `validate`; median and slowest of the runs.",
                "",
                "| input | bytes | exit | render median | render slowest | validate median | validate slowest |",
                "|---|---|---|---|---|---|---|",
            ]
            lines += [f"| {r['name']}: {r['about']} | {int(r['bytes']):,} | {r['exit']} | {ms(float(r['render_median']))} | "
                      f"{ms(float(r['render_max']))} | {ms(float(r['validate_median']))} | {ms(float(r['validate_max']))} |"
                      for r in hostile]
            lines += [""]
        else:
            lines += ["Not measured on this run: target/hostile-bench.tsv is missing (run `cargo bench --bench hostile`).", ""]

        cpu = "unknown"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kubectl_version = subprocess.run(["kubectl", "version", "--client"], capture_output=True,
                                         text=True).stdout.split("\n")[0:2]
        head = [
            "# Benchmarks",
            "",
            "Regenerate with `bash bench/run.sh` (this file is its output). Every comparison below is measured "
            "side by side in the same run.",
            "",
            f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
            f"{'; '.join(kubectl_version)}; out-dirs on tmpfs (`/dev/shm`) and on the disk of `{tempfile.gettempdir()}`.",
            "",
            "## Goals on this run",
            "",
            "| goal | measured | target | met |",
            "|---|---|---|---|",
            *goals.rows,
            "",
        ]
        text = "\n".join(head + lines)
        (ROOT / "BENCHMARKS.md").write_text(text)
        print(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if tmpfs:
            shutil.rmtree(tmpfs, ignore_errors=True)


if __name__ == "__main__":
    main()
