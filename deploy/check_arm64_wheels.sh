#!/usr/bin/env bash
# Does every pin of deploy/constraints.txt have a wheel on PyPI for the linux/arm64 image, apart
# from the ones deploy/Dockerfile's `wheels` stage compiles? Needs PyPI, so it is a script and
# not a test. From the repository root:
#   bash deploy/check_arm64_wheels.sh            # uses .venv/bin/pip, downloads ~215 MB
#   PIP=pip bash deploy/check_arm64_wheels.sh
# Prints one line per dependency without an aarch64 wheel and exits 1 if any of them is not in
# COMPILED_IN_BUILDER (the image would then need a compiler for it too, or that pin changed).
set -euo pipefail
cd "$(dirname "$0")/.."

PIP=${PIP:-.venv/bin/pip}
CONSTRAINTS=deploy/constraints.txt
# No wheel for Linux aarch64 on PyPI (sdist only): built from source in the wheels stage.
COMPILED_IN_BUILDER=(eldc faust-streaming)

# The runtime image is Debian bookworm, glibc 2.36: it takes manylinux_2_17 .. manylinux_2_36
# wheels (numpy and scipy ship only manylinux_2_27/2_28 ones for aarch64, which a bare
# manylinux2014 platform would miss). pip needs each tag spelled out.
platforms=(--platform manylinux2014_aarch64 --platform linux_aarch64)
for minor in $(seq 17 36); do
    platforms+=(--platform "manylinux_2_${minor}_aarch64")
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

missing=()
unexpected=()
while read -r pin; do
    [[ -z "$pin" || "$pin" == \#* ]] && continue
    name=${pin%%==*}
    # PIP_FIND_LINKS="": only PyPI's files count, not a local wheel directory.
    if ! PIP_FIND_LINKS="" "$PIP" download --quiet --no-deps --only-binary=:all: \
        "${platforms[@]}" --implementation cp --python-version 3.11 \
        --dest "$work" "$pin" >"$work/last.log" 2>&1; then
        missing+=("$pin")
        if [[ ! " ${COMPILED_IN_BUILDER[*]} " == *" $name "* ]]; then
            unexpected+=("$pin")
        fi
    fi
done <"$CONSTRAINTS"

total=$(grep -cv '^#' "$CONSTRAINTS")
echo "$total pins, $((total - ${#missing[@]})) with a linux/aarch64 wheel on PyPI"
for pin in "${missing[@]}"; do
    echo "no aarch64 wheel: $pin"
done
if [[ ${#unexpected[@]} -gt 0 ]]; then
    echo "NOT compiled by deploy/Dockerfile's wheels stage: ${unexpected[*]}" >&2
    exit 1
fi
echo "every other dependency installs from a wheel: the arm64 plan holds"
