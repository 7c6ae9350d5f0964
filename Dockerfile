# spt: one process hosting the Discord bot, the pipeline and the side server.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Pinned dependencies first, so code changes don't re-install them.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md config.toml ./
COPY core ./core
COPY app ./app
COPY bot ./bot
COPY cogs ./cogs
COPY sandbox ./sandbox
RUN pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 spt

USER spt
# In a container the side server must listen beyond loopback for Prometheus to reach it.
# Without DATABASE_URL, spt runs an embedded PostgreSQL under /home/spt/.local/share/spt.
ENV SPT_CONFIG=/app/config.toml \
    SPT_SIDECAR__HOST=0.0.0.0
EXPOSE 9321

ENTRYPOINT ["spt"]
CMD ["run"]
