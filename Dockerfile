# GridPoints API image: `gridpoints serve` on port 8000, configured by DATABASE_URL / REDIS_URL.
# Without those two variables the app would start its embedded servers, which is not meant for
# a container: docker-compose.yml sets both.

# Build stage: install the project (no dev extras) into a virtualenv that is copied as a whole.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY . .
RUN /opt/venv/bin/pip install .

# Runtime stage: the virtualenv only, run as an unprivileged user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home gridpoints
COPY --from=build /opt/venv /opt/venv
COPY web/public /app/web
ENV GRIDPOINTS_WEB_DIR=/app/web \
    GRIDPOINTS_GRAPHIQL=false \
    GRIDPOINTS_INTROSPECTION=false
WORKDIR /app
USER gridpoints
EXPOSE 8000
CMD ["gridpoints", "serve", "--host", "0.0.0.0", "--port", "8000"]
