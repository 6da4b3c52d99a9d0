# One image for the web, worker and beat services of docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The pinned runtime dependencies from pyproject.toml (the project itself is not a package), in their own layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Static files are collected at build time; the database is only named, never reached.
RUN DATABASE_URL=postgres://build@localhost/build python manage.py collectstatic --noinput -v 0 \
    && useradd --system --create-home --uid 10001 itsm \
    && mkdir -p /data/media \
    && chown itsm /data/media

USER itsm
ENV MEDIA_ROOT=/data/media
EXPOSE 8000

CMD ["gunicorn", "itsm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
