# One image for the API, the worker and the migration job; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, from the runtime lock alone (exact versions, hashes checked), so that a code
# change does not reinstall them. `make lock` regenerates it.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home meritflow \
    && mkdir -p /app/data \
    && chown meritflow:meritflow /app/data

USER meritflow
ENV MERITFLOW_ENV=production \
    MERITFLOW_DATA_DIR=/app/data

EXPOSE 8000
CMD ["uvicorn", "server:app", "--host", "0.0.0.0", "--port", "8000"]
