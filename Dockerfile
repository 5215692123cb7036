# One image for every Tapewire agent and the CLI: `docker run tapewire agent <name>`.
# Slim Python base, dependencies pinned by constraints.txt, runs as a non-root user.
FROM python:3.11.14-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY streams ./streams
COPY avro ./avro
COPY topics ./topics
COPY sql ./sql
RUN python -m venv /opt/tapewire \
 && /opt/tapewire/bin/pip install --upgrade "pip==26.3" \
 && /opt/tapewire/bin/pip wheel --wheel-dir /wheels -c constraints.txt . \
 && /opt/tapewire/bin/pip install --no-index --find-links /wheels tapewire

FROM python:3.11.14-slim-bookworm
LABEL org.opencontainers.image.title="tapewire" \
      org.opencontainers.image.description="Tapewire agents and CLI" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 tapewire \
 && useradd --system --uid 10001 --gid tapewire --home-dir /var/lib/tapewire --create-home tapewire
COPY --from=build /opt/tapewire /opt/tapewire
ENV PATH="/opt/tapewire/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    TAPEWIRE_PROFILE=redpanda \
    TAPEWIRE_METRICS_PORT=9100 \
    TAPEWIRE_DATA_DIR=/var/lib/tapewire
USER 10001:10001
WORKDIR /var/lib/tapewire
EXPOSE 9100
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('TAPEWIRE_METRICS_PORT', '9100'), timeout=2)"]
ENTRYPOINT ["tapewire"]
CMD ["--help"]
