"""Measures stagehand against kubectl kustomize and writes BENCHMARKS.md.

Whole processes are timed interleaved (stagehand, kustomize, stagehand, ...) so both see
the same machine state; peak RSS comes from wait4() of each child. Per-stage medians are
read from criterion's estimates (run by bench/run.sh first).
"""
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGEHAND = ROOT / "target/release/stagehand"
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
SCALES = [1, 10, 100, 1000]


DEVNULL = os.open(os.devnull, os.O_WRONLY)


def run(argv, cwd=None, env=None):
    """Wall seconds and peak RSS (KiB) of one process; its output is discarded.

    posix_spawn (not fork) so the child's peak RSS is its own, not this interpreter's."""
    argv = [str(a) for a in argv]
    program = shutil.which(argv[0]) or argv[0]
    actions = [(os.POSIX_SPAWN_DUP2, DEVNULL, 1), (os.POSIX_SPAWN_DUP2, DEVNULL, 2)]
    previous = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(program, argv, env or os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.chdir(previous)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}")
    return wall, usage.ru_maxrss


def peak_rss_mib(argv, cwd=None, env=None, runs=20):
    """Peak RSS in MiB over `runs` runs, read by GNU time: ru_maxrss keeps the pre-exec
    high-water mark of the process that spawned the child, and time's is small."""
    peaks = []
    for _ in range(runs):
        done = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, argv)], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
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
    return overlay


def file_create_cost(work, count=500):
    """Seconds to create and write one small file in `work` (the disk's share of --out-dir)."""
    folder = work / "create-cost"
    folder.mkdir()
    start = time.perf_counter()
    for index in range(count):
        (folder / f"f{index}").write_text("x")
    return (time.perf_counter() - start) / count


def many_environments(work, count):
    template = (ROOT / "overlays/dev/environment.yaml").read_text()
    folder = work / f"envs-{count}"
    for index in range(count):
        env = folder / f"env{index:04d}"
        env.mkdir(parents=True)
        (env / "environment.yaml").write_text(
            template.replace("name: dev", f"name: env{index:04d}")
            .replace("backstage-dev.", f"backstage-{index:04d}."))
    return sorted(str(p) for p in folder.iterdir())


def criterion_medians():
    out = []
    for estimates in sorted((ROOT / "target/criterion").glob("*/new/estimates.json")):
        name = estimates.parent.parent.name
        median = json.loads(estimates.read_text())["median"]["point_estimate"]
        out.append((name, median / 1000.0))
    return out


def fmt_ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def main():
    work = Path(tempfile.mkdtemp(prefix="stagehand-bench-"))
    try:
        overlay = kustomize_tree(work)
        kustomize = ["kubectl", "kustomize", str(overlay)]
        render = [str(STAGEHAND), "render", str(ROOT / "overlays/minicloud")]
        generate_env = dict(os.environ, ARGOCD_APP_SOURCE_PATH="overlays/minicloud",
                            KUBE_API_VERSIONS="v1,networking.k8s.io/v1,cert-manager.io/v1,bitnami.com/v1alpha1,argoproj.io/v1alpha1")
        samples = {"render": [], "generate": [], "kustomize": []}
        for name, argv in [("render", render), ("kustomize", kustomize)]:
            run(argv)  # warm the page cache
        for _ in range(RUNS):
            for name, argv in [("render", render), ("kustomize", kustomize)]:
                samples[name].append(run(argv)[0])
            samples["generate"].append(run([STAGEHAND, "generate"], cwd=ROOT / "overlays/minicloud", env=generate_env)[0])
        median = {k: statistics.median(v) for k, v in samples.items()}
        peak = {
            "render": peak_rss_mib(render),
            "generate": peak_rss_mib([STAGEHAND, "generate"], cwd=ROOT / "overlays/minicloud", env=generate_env),
            "kustomize": peak_rss_mib(kustomize),
        }
        ratio = median["kustomize"] / median["render"]

        # Out-dirs go to tmpfs when there is one (what the tool costs) and to the work
        # folder's disk (what this machine's file creation adds: 8 files per environment).
        tmpfs = Path("/dev/shm") if Path("/dev/shm").is_dir() else work
        scale_rows = []
        for count in SCALES:
            files = many_environments(work, count)
            timings = {}
            for label, parent in [("tmpfs", tmpfs), ("disk", work)]:
                out = parent / f"stagehand-bench-out-{count}"
                walls = []
                for _ in range(3):
                    shutil.rmtree(out, ignore_errors=True)
                    walls.append(run([str(STAGEHAND), "render", "--out-dir", str(out), *files])[0])
                timings[label] = statistics.median(walls)
                if label == "tmpfs" and count == SCALES[-1]:
                    shutil.rmtree(work / "out-1000", ignore_errors=True)
                    shutil.copytree(out, work / "out-1000")
                shutil.rmtree(out, ignore_errors=True)
            validate = statistics.median(run([str(STAGEHAND), "validate", *files])[0] for _ in range(3))
            scale_rows.append((count, timings["tmpfs"], timings["disk"], validate))
        # A sample of the many-environment output equals rendering each alone.
        alone = work / "alone"
        run([str(STAGEHAND), "render", "--out-dir", str(alone), files[7]])
        for name in os.listdir(alone):
            if (alone / name).read_bytes() != (work / "out-1000" / "env0007" / name).read_bytes():
                sys.exit(f"{name} differs between a lone and a many-environment render")

        cpu = "unknown"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kubectl_version = subprocess.run(["kubectl", "version", "--client"], capture_output=True, text=True).stdout.split("\n")[0:2]
        lines = [
            "# Benchmarks",
            "",
            "Regenerate with `bash bench/run.sh` (this file is its output).",
            "",
            f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
            f"{'; '.join(kubectl_version)}.",
            "",
            f"## One environment, whole process ({RUNS} interleaved runs each)",
            "",
            "| command | median wall | peak RSS |",
            "|---|---|---|",
            f"| `stagehand render overlays/minicloud` | {fmt_ms(median['render'])} | {peak['render']:.1f} MiB |",
            f"| `stagehand generate` (ArgoCD inputs) | {fmt_ms(median['generate'])} | {peak['generate']:.1f} MiB |",
            f"| `kubectl kustomize` (equivalent base + overlay) | {fmt_ms(median['kustomize'])} | {peak['kustomize']:.1f} MiB |",
            "",
            f"stagehand takes **1/{ratio:.1f}** of kustomize's wall time (target: at most 1/15, aim 1/25); "
            f"peak RSS {peak['render']:.1f} MiB (target: at most 10 MiB, aim 6).",
            "",
            "## Stages, in process (criterion medians, `cargo bench --bench stages`)",
            "",
            "| stage | median |",
            "|---|---|",
        ]
        lines += [f"| {name} | {micros:.1f} µs |" for name, micros in criterion_medians()]
        lines += [
            "",
            "## Many environments in one process (median of 3)",
            "",
            "| environments | `render --out-dir` on tmpfs | per environment | `render --out-dir` on disk | `validate ENV...` |",
            "|---|---|---|---|---|",
        ]
        lines += [f"| {count} | {fmt_ms(tmpfs_wall)} | {fmt_ms(tmpfs_wall / count)} | {fmt_ms(disk_wall)} | {fmt_ms(validate)} |"
                  for count, tmpfs_wall, disk_wall, validate in scale_rows]
        lines += ["", f"Creating one file on this disk costs about {fmt_ms(file_create_cost(work))} "
                  "(measured by the script); tmpfs shows the tool's own cost."]
        lines += ["", "The out-dir of environment 7 in the 1,000-environment run is byte-identical to rendering it alone (checked by the script).", ""]
        text = "\n".join(lines)
        (ROOT / "BENCHMARKS.md").write_text(text)
        print(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
