# A Tally worker image. Build: docker build -t tally .   Run: see docker-compose.yml and docs/streams.md.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml ./
COPY schemas ./schemas
COPY projections ./projections
COPY streams ./streams
COPY cli ./cli
COPY policies ./policies
COPY samples ./samples
RUN pip install --no-cache-dir . && useradd --system --home /data tally && mkdir -p /data && chown tally /data

USER tally
ENV TALLY_STORE=rocksdb:// \
    TALLY_DATA_DIR=/data \
    TALLY_PRODUCER_MAX_BATCH_SIZE=16384 \
    TALLY_LOG_LEVEL=INFO
VOLUME /data
EXPOSE 6066
CMD ["tally", "worker"]
