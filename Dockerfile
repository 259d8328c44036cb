# The production image used by docker-compose.yml (web, worker and beat share it).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app voxit
WORKDIR /app
COPY pyproject.toml README.md ./
COPY voxit ./voxit
COPY statements ./statements
COPY moderation ./moderation
COPY clustering ./clustering
COPY bench ./bench
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install . && SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && chown -R voxit /app
USER voxit
EXPOSE 8000
CMD ["gunicorn", "--config", "voxit/gunicorn.conf.py", "voxit.wsgi:application"]
