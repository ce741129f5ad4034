#!/usr/bin/env bash
# The GPU check in one command that fits one short device lease: the tests that run on
# backend cuda, then the GPU benchmarks, each part under a hard time limit, and a JSON of
# what happened written whatever happens (pass, fail, time-out, interrupt).
#
# The exact device call (GPU leases are 15 minutes in all, one to two of them to start
# the machine; every part below has a hard limit, and together they cannot pass 7 minutes):
#
#   1. on a machine with the registry, once:   bash ci/fetch-gpu-wheels.sh   (fills .whl/)
#   2. the device tool's run, from the repository root:
#        command:   bash ci/gpu-check.sh
#        carry:     [".whl"]          (the wheels the GPU image lacks; git-ignored)
#        timeout_s: 450               (the hard limits below add up to 420 s)
#   3. the results come back through $OUT, which the script fills (at most 8 files):
#        <device>-<date>.json                   flat benchmark records (a JSON list; []
#                                               when the benchmarks wrote none)
#        <device>-<date>-pytest-benchmark.json  pytest-benchmark's own JSON, when written
#        <device>-<date>-check.json             per part: exit code, seconds, limit, timed
#                                               out, pytest's summary line; always written
#        env.log, tests.log, bench.log
#      Copy them from the tool's files_at into benchmarks/results/ and commit them.
#
# Usage, from the repository root:   bash ci/gpu-check.sh [tests|bench|all]   (default all)
#
# Wheels the GPU image lacks travel in .whl/; they are installed into /tmp/site without
# touching the image. Tests: those that exercise backend cuda (-k "cuda or nvrtc or
# agree": the cuda case of every backend-parameterised test, tests/test_*_cuda.py, the
# NVRTC compiles and the backends-agree tests); the CPU checks, the host executor's
# included, run on every CI run and are not repeated here. Benchmarks: the cuda cases of
# every benchmarks/test_*_bench.py, and test_sgp4_gpu_bench.py whole (its CPU peers run beside
# the kernel); the CPU-only files (sgp4, threads, dask, scenario) and the numpy and
# host-executor cases are left to CPU runs (ci/bench.sh), so that the limit goes to the GPU.
#
# Hard time limits, seconds (timeout sends SIGINT so that pytest still writes its results,
# then SIGKILL GPU_CHECK_KILL_AFTER seconds later): GPU_CHECK_SETUP_TIMEOUT (wheel install,
# default 30), GPU_CHECK_TEST_TIMEOUT (default 170), GPU_CHECK_BENCH_TIMEOUT (default 140),
# GPU_CHECK_KILL_AFTER (default 10), and 30 s each for the environment report and the
# device probe: at most 30 + 180 + 150 + 60 = 420 s (the last two take seconds normally).
# A benchmark cut by its limit keeps the records of those that finished.
set -uo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}
case "$part" in tests|bench|all) ;; *) echo "usage: $0 [tests|bench|all]" >&2; exit 2 ;; esac
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
logdir=${GPU_CHECK_LOGS:-/tmp/gpu-check}
kill_after=${GPU_CHECK_KILL_AFTER:-10}
mkdir -p "$logdir" benchmarks/results
: > "$logdir/parts.tsv"  # part, exit code, seconds, limit: read by finish() at exit
status=0

# run_part NAME LIMIT CMD...: CMD under a hard limit, output teed to $logdir/NAME.log
run_part() {
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    timeout -s INT -k "$kill_after" "$limit" "$@" 2>&1 | tee "$logdir/$name.log"
    local rc=${PIPESTATUS[0]}
    printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - t0))" "$limit" >> "$logdir/parts.tsv"
    echo "$name: exit $rc after $((SECONDS - t0)) s (limit $limit s)"
    return "$rc"
}

# names of the results, known before anything can fail (no-cuda until the probe answers)
device=no-cuda
stamp=$(date -u +%Y-%m-%d)
tag_of() { echo "$1" | tr -cs 'A-Za-z0-9' '-' | sed 's/^-*//; s/-*$//'; }

# Always: the records file exists (a JSON list), the check summary is written, and both
# reach $OUT, whatever happened before.
finish() {
    local tag records check
    tag=$(tag_of "$device")
    records="benchmarks/results/${tag}-${stamp}.json"
    check="benchmarks/results/${tag}-${stamp}-check.json"
    [ -s "$records" ] || echo "[]" > "$records"
    "$PY" - "$check" "$logdir" "$device" "$part" <<'PYEOF' || echo "could not write $check" >&2
import json, os, re, sys
check, logdir, device, requested = sys.argv[1:]
parts = []
for line in open(os.path.join(logdir, "parts.tsv")):
    name, rc, secs, limit = line.rstrip("\n").split("\t")
    log = os.path.join(logdir, f"{name}.log")
    lines = open(log, errors="replace").read().splitlines() if os.path.exists(log) else []
    hits = [l.strip("= ") for l in lines if re.search(r"\d+ (passed|failed|errors?|skipped|deselected)\b", l)]
    parts.append({"part": name, "exit": int(rc), "seconds": int(secs), "limit_s": int(limit),
                  "timed_out": int(rc) in (124, 137) or int(secs) >= int(limit),
                  "summary": hits[-1] if hits else ""})
rec = {"device": device, "requested": requested, "parts": parts,
       "passed": bool(parts) and all(p["exit"] == 0 for p in parts)}
with open(check, "w") as f:
    json.dump(rec, f, indent=1)
print(json.dumps(rec, indent=1))
PYEOF
    if [ -n "${OUT:-}" ]; then
        cp -f "$logdir"/env.log "$logdir"/tests.log "$logdir"/bench.log "$OUT"/ 2>/dev/null
        cp -f "$records" "$check" "benchmarks/results/${tag}-${stamp}-pytest-benchmark.json" "$OUT"/ 2>/dev/null
    fi
    true
}
trap finish EXIT

# ---- carried wheels: install only what the image does not already have
if compgen -G ".whl/*.whl" > /dev/null; then
    want=()
    for w in .whl/*.whl; do
        dist=$(basename "$w" | cut -d- -f1)  # wheel names: <dist>-<version>-...
        if "$PY" -m pip show -q "$dist" > /dev/null 2>&1; then
            echo "wheel: image has $dist, skipping $(basename "$w")"
        else
            want+=("$w")
        fi
    done
    if [ ${#want[@]} -gt 0 ]; then
        run_part setup "${GPU_CHECK_SETUP_TIMEOUT:-30}" \
            "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/site "${want[@]}" || status=1
        export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
    fi
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}

# ---- what we run on
{
    echo "== $(date -u +%FT%TZ) $(hostname) part=$part"
    timeout -k 1 4 nvidia-smi || echo "nvidia-smi: not available"
    command -v nvcc > /dev/null && timeout -k 1 4 nvcc --version | tail -2
    timeout -k 1 19 "$PY" - <<'PYEOF'
import importlib, platform
print("python", platform.python_version())
for m in ("numpy", "cupy", "torch", "sgp4", "pytest", "pytest_benchmark", "hypothesis", "dsgp4", "heyoka"):
    try:
        mod = importlib.import_module(m)
        print(f"{m:18s} {getattr(mod, '__version__', '?'):12s} {getattr(mod, '__file__', '')}")
    except Exception as exc:
        print(f"{m:18s} MISSING ({type(exc).__name__}: {exc})")
from engine._backend import cuda_status, cpu_name
print("cuda_status:", cuda_status())
print("cpu:", cpu_name())
PYEOF
} 2>&1 | tee "$logdir/env.log"

device=$(timeout -k 1 29 "$PY" -c 'from engine._backend import cuda_status; ok, n = cuda_status(); print(n if ok else "no-cuda")' 2>/dev/null || echo no-cuda)
# letters, digits and dashes only: "NVIDIA H100 80GB HBM3" -> NVIDIA-H100-80GB-HBM3
tag=$(tag_of "$device")
records="benchmarks/results/${tag}-${stamp}.json"

if [ "$part" = tests ] || [ "$part" = all ]; then
    # tests/test_packaging.py builds the wheel with build isolation, which downloads
    # hatchling: the GPU machine reaches no registry, so it runs on CPU CI only.
    echo "== tests on backend cuda (skipping tests/test_packaging.py: needs the package registry)"
    run_part tests "${GPU_CHECK_TEST_TIMEOUT:-170}" \
        "$PY" -m pytest -q -rs -p no:cacheprovider --durations=10 \
        --ignore=tests/test_packaging.py -k "cuda or nvrtc or agree" tests || status=1
fi

if [ "$part" = bench ] || [ "$part" = all ]; then
    echo "== GPU benchmarks -> $records"
    export DEBRIS_BENCH_RECORDS=$records
    run_part bench "${GPU_CHECK_BENCH_TIMEOUT:-140}" \
        "$PY" -m pytest -q -rs -p no:cacheprovider \
        $(ls benchmarks/test_*_bench.py | grep -v -e test_sgp4_bench.py -e test_threads_bench.py \
            -e test_dask_bench.py -e test_scenario_bench.py) -k "cuda or sgp4_gpu_bench" \
        --benchmark-enable --benchmark-only --benchmark-min-rounds=5 --benchmark-max-time=0.5 \
        --benchmark-columns=min,median,max,rounds --benchmark-sort=name \
        --benchmark-json="benchmarks/results/${tag}-${stamp}-pytest-benchmark.json" || status=1
    if [ -s "$records" ]; then
        "$PY" - "$records" <<'PYEOF'
import json, sys
recs = json.load(open(sys.argv[1]))
print(f"{'kernel':16s} {'backend':22s} {'dtype':8s} {'objects':>9s} {'times':>6s} {'G evals/s':>10s} {'floor %':>8s}")
for r in recs:
    ff = r.get("floor_fraction")
    print(f"{r['kernel']:16s} {r['backend']:22s} {r['dtype']:8s} {r['n_objects']:9d} {r['n_times']:6d} "
          f"{r['evals_per_s'] / 1e9:10.3f} {'' if ff is None else f'{100 * ff:8.1f}'}")
PYEOF
    else
        echo "no records written to $records"
    fi
fi

echo "gpu-check: part=$part exit $status"
exit $status
