# The readiness-gate GitHub Action image (action.yml: runs.using docker, image Dockerfile).
#
# Base: python:3.12-slim pinned by digest so a retagged image cannot change what runs with the
# repository's token. Bump the digest deliberately (Dependabot "docker" ecosystem, or
# `docker buildx imagetools inspect python:3.12-slim`) and let CI build it.
# The action runs as root, as GitHub requires for Docker actions (the workspace is a bind mount
# owned by the runner user); it writes nothing into the workspace but the files asked for.
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    SEMGREP_ENABLE_VERSION_CHECK=0 \
    SEMGREP_SEND_METRICS=off

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# git: diff-aware mode and the scanned commit. The digest above fixes the Debian release; package
# versions follow its security updates, so they are not pinned here.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    # The workspace is owned by another uid than the container's root: without this, git refuses
    # it ("detected dubious ownership", CVE-2022-24765 hardening).
    && git config --system --add safe.directory '*'

WORKDIR /opt/readiness-gate
COPY pyproject.toml README.md requirements-lock.txt ./
COPY policies ./policies
COPY gate ./gate

# Installs readiness-gate with its dependencies (PyGithub, semgrep, pip-audit, detect-secrets) at
# the exact versions the test suite ran with (requirements-lock.txt as constraints: every one has a
# cp312 manylinux wheel, checked with `pip download --python-version 3.12 --only-binary=:all:`).
# The version checks fail the build if a scanner did not install.
RUN pip install --no-cache-dir --constraint requirements-lock.txt . \
    && readiness-gate --version \
    && semgrep --version \
    && pip-audit --version \
    && detect-secrets --version

ENTRYPOINT ["readiness-gate", "github"]
