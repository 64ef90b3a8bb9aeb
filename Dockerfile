# The orderflow worker image used by docker-compose.yml (Kafka and the registry are other services).
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY agents ./agents
COPY schemas ./schemas
RUN pip install --no-cache-dir .

# The schemas are read from the source tree, which a non-editable install leaves behind.
ENV ORDERFLOW_SCHEMA_DIR=/app/schemas/avro \
    ORDERFLOW_WEB_PORT=6066 \
    ORDERFLOW_DATA_DIR=/data
EXPOSE 6066
# Each replica advertises its own container name so HTTP queries reach the worker owning the key.
ENTRYPOINT ["sh", "-c", "export ORDERFLOW_WEB_HOST=\"${ORDERFLOW_WEB_HOST:-$(hostname)}\"; exec \"$@\"", "--"]
CMD ["orderflow", "worker"]
