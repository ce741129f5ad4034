#!/usr/bin/env bash
# The whole check on a machine with a CUDA device: the test suite (every backend-
# parameterised test then also runs on cuda) and the GPU benchmarks, in under 9 minutes
# on an H100 (the device tool allows 10 per command).
#
# Usage, from the repository root:   bash ci/gpu-check.sh [tests|bench|all]   (default all)
#
# Wheels the GPU image lacks travel in .whl/ (bash ci/fetch-gpu-wheels.sh, on a machine
# with the registry); they are installed into /tmp/site without touching the image.
# Writes benchmarks/results/<device>-<date>.json (flat records, see benchmarks/conftest.py)
# and <device>-<date>-pytest-benchmark.json; when $OUT is set, copies those and the logs
# there (the device tool returns at most 8 files from $OUT).
# Time limits (seconds, SIGINT so pytest still writes its results): GPU_CHECK_TEST_TIMEOUT
# (default 280), GPU_CHECK_BENCH_TIMEOUT (default 300): run "tests" and "bench" as two
# device commands when the suite grows. Benchmarks: every benchmarks/test_*_bench.py but
# the CPU-only SGP4 comparison (test_sgp4_gpu_bench.py has its own CPU peers).
set -uo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}
case "$part" in tests|bench|all) ;; *) echo "usage: $0 [tests|bench|all]" >&2; exit 2 ;; esac
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
logdir=${GPU_CHECK_LOGS:-/tmp/gpu-check}
mkdir -p "$logdir" benchmarks/results

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
        "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/site "${want[@]}" || { echo "wheel install failed" >&2; exit 1; }
        export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
    fi
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}

# ---- what we run on
{
    echo "== $(date -u +%FT%TZ) $(hostname) part=$part"
    nvidia-smi || echo "nvidia-smi: not available"
    command -v nvcc > /dev/null && nvcc --version | tail -2
    "$PY" - <<'EOF'
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
EOF
} 2>&1 | tee "$logdir/env.log"

device=$("$PY" -c 'from engine._backend import cuda_status; ok, n = cuda_status(); print(n if ok else "no-cuda")' 2>/dev/null || echo no-cuda)
# letters, digits and dashes only: "NVIDIA H100 80GB HBM3" -> NVIDIA-H100-80GB-HBM3
tag=$(echo "$device" | tr -cs 'A-Za-z0-9' '-' | sed 's/^-*//; s/-*$//')
stamp=$(date -u +%Y-%m-%d)
records="benchmarks/results/${tag}-${stamp}.json"
status=0

if [ "$part" = tests ] || [ "$part" = all ]; then
    # tests/test_packaging.py builds the wheel with build isolation, which downloads
    # hatchling: the GPU machine reaches no registry, so it runs on CPU CI only.
    echo "== tests (skipping tests/test_packaging.py: needs the package registry)"
    timeout -s INT -k 20 "${GPU_CHECK_TEST_TIMEOUT:-280}" \
        "$PY" -m pytest -q -rs -p no:cacheprovider --durations=10 \
        --ignore=tests/test_packaging.py tests 2>&1 | tee "$logdir/tests.log"
    rc=${PIPESTATUS[0]}
    echo "tests: exit $rc"
    [ "$rc" -eq 0 ] || status=1
fi

if [ "$part" = bench ] || [ "$part" = all ]; then
    echo "== GPU benchmarks -> $records"
    export DEBRIS_BENCH_RECORDS=$records
    timeout -s INT -k 20 "${GPU_CHECK_BENCH_TIMEOUT:-300}" \
        "$PY" -m pytest -q -rs -p no:cacheprovider $(ls benchmarks/test_*_bench.py | grep -v test_sgp4_bench.py) \
        --benchmark-enable --benchmark-only --benchmark-min-rounds=5 --benchmark-max-time=0.5 \
        --benchmark-columns=min,median,max,rounds --benchmark-sort=name \
        --benchmark-json="benchmarks/results/${tag}-${stamp}-pytest-benchmark.json" \
        2>&1 | tee "$logdir/bench.log"
    rc=${PIPESTATUS[0]}
    echo "bench: exit $rc"
    [ "$rc" -eq 0 ] || status=1
    if [ -s "$records" ]; then
        "$PY" - "$records" <<'EOF'
import json, sys
recs = json.load(open(sys.argv[1]))
print(f"{'kernel':16s} {'backend':22s} {'dtype':8s} {'objects':>9s} {'times':>6s} {'G evals/s':>10s} {'floor %':>8s}")
for r in recs:
    ff = r.get("floor_fraction")
    print(f"{r['kernel']:16s} {r['backend']:22s} {r['dtype']:8s} {r['n_objects']:9d} {r['n_times']:6d} "
          f"{r['evals_per_s'] / 1e9:10.3f} {'' if ff is None else f'{100 * ff:8.1f}'}")
EOF
    else
        echo "no records written to $records"
    fi
fi

if [ -n "${OUT:-}" ]; then
    cp -f "$logdir"/env.log "$logdir"/tests.log "$logdir"/bench.log "$OUT"/ 2>/dev/null
    cp -f "benchmarks/results/${tag}-${stamp}.json" "benchmarks/results/${tag}-${stamp}-pytest-benchmark.json" \
        "$OUT"/ 2>/dev/null
    true
fi
echo "gpu-check: part=$part exit $status"
exit $status
