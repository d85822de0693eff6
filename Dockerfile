# The readiness-gate GitHub Action image.
#
# Published by .github/workflows/release.yml to ghcr.io (with a provenance attestation and an
# SBOM); action.yml runs it by digest, so a job pulls one image instead of rebuilding this file.
# Forks of the action can build it themselves: docs/github-action.md, "Building the image".
#
# Three stages; only the first names an external image, so `podman build --from BASE` (or a
# registry mirror) replaces the base everywhere (scripts/container-smoke.sh does exactly that):
#   runtime  python:3.12-slim pinned by digest, plus git;
#   build    a virtual environment with readiness-gate and its scanners, bytecode compiled once;
#   final    runtime + that virtual environment: no compiler, no pip cache, no build stage layers.
#
# Base image digest: bump it deliberately (Dependabot "docker" ecosystem, or
# `docker buildx imagetools inspect python:3.12-slim`) and let CI build it.
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    SEMGREP_ENABLE_VERSION_CHECK=0 \
    SEMGREP_SEND_METRICS=off

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# git: diff-aware mode and the scanned commit (skipped when the base already has it). The digest
# above fixes the Debian release; git follows that release's security updates, and Debian's
# archive drops superseded versions, so a version pin would break every rebuild after the next
# security fix: not pinned (hadolint DL3008).
# hadolint ignore=DL3008
RUN if ! command -v git >/dev/null; then \
        apt-get update \
        && apt-get install -y --no-install-recommends git \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    # The workspace is owned by another uid than the container's root: without this, git refuses
    # it ("detected dubious ownership", CVE-2022-24765 hardening).
    && git config --system --add safe.directory '*'

FROM runtime AS build

WORKDIR /src
COPY pyproject.toml README.md LICENSE requirements-lock.txt ./
COPY policies ./policies
COPY gate ./gate

# readiness-gate with its dependencies (PyGithub, semgrep, pip-audit, detect-secrets, ...) at the
# exact versions the test suite ran with (requirements-lock.txt as constraints: every one has a
# manylinux wheel), in a virtual environment that the final stage copies whole. Bytecode is
# compiled here once (the final image sets PYTHONDONTWRITEBYTECODE and its files stay as built).
RUN python -m venv /opt/readiness-gate \
    && /opt/readiness-gate/bin/pip install --no-cache-dir --no-compile --constraint requirements-lock.txt . \
    && /opt/readiness-gate/bin/python -m compileall -q -j 0 /opt/readiness-gate/lib

FROM runtime

COPY --from=build /opt/readiness-gate /opt/readiness-gate
ENV PATH=/opt/readiness-gate/bin:$PATH

# The version checks fail the build if a scanner did not install.
RUN readiness-gate --version \
    && semgrep --version \
    && pip-audit --version \
    && detect-secrets --version

# The action runs as root, as GitHub requires for Docker actions (the workspace is a bind mount
# owned by the runner user); it writes nothing into the workspace but the files asked for.
ENTRYPOINT ["readiness-gate", "github"]
