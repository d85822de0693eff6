#!/usr/bin/env bash
# Build the action image from the Dockerfile with podman, without any image registry, and run it
# the way a GitHub Actions runner runs a Docker action, against a loopback GitHub API.
#
#   scripts/container-smoke.sh            # build (cached in $SMOKE_DIR) and run
#   SMOKE_DIR=/var/tmp/x scripts/container-smoke.sh
#
# Needs root (or a rootful podman), podman, runc and debootstrap:
#   apt-get install podman runc debootstrap
# and a Python with the project installed (`pip install -e .`) for the loopback servers.
#
# How the image is built here (docs/github-action.md, "Building the image"):
#   1. a Debian base made with debootstrap (python3, python3-venv, git), with a virtual
#      environment at /usr/local so `python`/`pip` sit where python:*-slim has them, and a pip
#      configuration that installs only from a local wheelhouse (/wheelhouse, no index);
#   2. the wheelhouse: `pip download` of requirements-lock.txt (and the build backend) on this host;
#   3. `podman build --from <that base>` replaces the Dockerfile's only external FROM; the build
#      runs with --network none and the wheelhouse mounted read-only.
# Then scripts/container_smoke_run.py starts the loopback GitHub API (tests/servers/github.py)
# and OSV API (tests/servers/osv.py), runs the image with a runner's mounts and variables, and
# checks the comment, the status, the outputs, the summary and the untouched workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE_DIR=${SMOKE_DIR:-/var/tmp/readiness-gate-smoke}
SUITE=${SMOKE_SUITE:-bookworm}
MIRROR=${SMOKE_MIRROR:-http://deb.debian.org/debian}
BASE_IMAGE=localhost/readiness-gate-smoke-base:$SUITE
IMAGE=${SMOKE_IMAGE:-localhost/readiness-gate:smoke}
PODMAN=(podman --runtime runc)
# Resource limits for every container: podman's defaults (nofile 1048576, nproc 4194304) are
# above what an unprivileged CI sandbox may set, and runc then fails with "error setting rlimit".
# Lowering a limit is always allowed; the gate needs few processes and files.
LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=8192:8192)
export SMOKE_PODMAN_LIMITS="${LIMITS[*]}"
PYTHON=${PYTHON:-python3}

for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null || { echo "container-smoke: $tool is missing (apt-get install podman runc debootstrap)" >&2; exit 77; }
done
mkdir -p "$SMOKE_DIR"

# 1. The base image (cached: delete $SMOKE_DIR/rootfs or the image to rebuild it).
if ! "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
    if [ ! -x "$SMOKE_DIR/rootfs/usr/local/bin/pip" ]; then
        rm -rf "$SMOKE_DIR/rootfs"
        echo "container-smoke: debootstrap $SUITE into $SMOKE_DIR/rootfs"
        debootstrap --variant=minbase --include=python3,python3-venv,git,ca-certificates \
            "$SUITE" "$SMOKE_DIR/rootfs" "$MIRROR" >"$SMOKE_DIR/debootstrap.log" 2>&1 \
            || { tail -20 "$SMOKE_DIR/debootstrap.log" >&2; exit 1; }
        chroot "$SMOKE_DIR/rootfs" /usr/bin/python3 -m venv /usr/local
        printf '[global]\nno-index = true\nfind-links = /wheelhouse\ndisable-pip-version-check = true\n' \
            >"$SMOKE_DIR/rootfs/etc/pip.conf"
        rm -rf "$SMOKE_DIR/rootfs/var/cache/apt/archives/"*.deb "$SMOKE_DIR/rootfs/var/lib/apt/lists/"*
    fi
    echo "container-smoke: importing the base as $BASE_IMAGE"
    tar -C "$SMOKE_DIR/rootfs" -c . | "${PODMAN[@]}" import \
        --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
fi

# 2. The wheelhouse: every locked dependency and the build backend, as wheels for the base's Python.
WHEELS="$SMOKE_DIR/wheelhouse"
mkdir -p "$WHEELS"
BASE_PY=$("${PODMAN[@]}" run --rm --network none "${LIMITS[@]}" "$BASE_IMAGE" python -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
"$PYTHON" -m pip download --quiet --disable-pip-version-check --log "$SMOKE_DIR/download.log" --dest "$WHEELS" --only-binary=:all: \
    --python-version "$BASE_PY" --constraint requirements-lock.txt \
    -r <("$PYTHON" - <<'EOF'
import tomllib, pathlib
project = tomllib.loads(pathlib.Path("pyproject.toml").read_text())
for dep in project["project"]["dependencies"] + project["build-system"]["requires"]:
    print(dep)
EOF
) 2>>"$SMOKE_DIR/download.log" || { tail -20 "$SMOKE_DIR/download.log" >&2; exit 1; }

# 3. The image, from the repository's Dockerfile.
echo "container-smoke: podman build --from $BASE_IMAGE (network none, local wheelhouse)"
start=$(date +%s)
"${PODMAN[@]}" build --quiet --from "$BASE_IMAGE" --network none "${LIMITS[@]}" --volume "$WHEELS:/wheelhouse:ro" \
    --tag "$IMAGE" --file Dockerfile . >"$SMOKE_DIR/build.log" 2>&1 \
    || { tail -40 "$SMOKE_DIR/build.log" >&2; exit 1; }
echo "container-smoke: built $IMAGE in $(( $(date +%s) - start )) s;" \
    "size $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE") bytes" \
    "(base $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$BASE_IMAGE") bytes)"

# 4. Run it as a runner runs a Docker action.
exec "$PYTHON" scripts/container_smoke_run.py --image "$IMAGE" --work "$SMOKE_DIR"
