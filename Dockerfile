# The auditor image: the web UI under gunicorn (default command) or the scheduler (`auditor scheduler`).
# Runs as a non-root user with a read-only root filesystem: everything it writes (config, SQLite database if
# used, reports, push ledger) lives under the /data volume. See docs/deploy.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AUDITOR_CONFIG=/data/auditor.toml \
    HOME=/data

# WeasyPrint's system libraries (PDF reports) and a font; the same list as README.md's "Deploy" section.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/auditor
COPY pyproject.toml README.md requirements.lock ./
COPY auditor ./auditor
COPY policies ./policies
COPY reports ./reports
COPY templates ./templates
RUN pip install --no-cache-dir -c requirements.lock '.[server]' \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin auditor \
 && mkdir -p /data && chown auditor:auditor /data

USER auditor
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--worker-tmp-dir", "/dev/shm", \
     "auditor.web.ops:wsgi_app()"]
