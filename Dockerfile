# One image for every Minyi service: `docker run IMAGE intake` (or review, scoring, notify, gateway).

# The web app (web/), built in a Node stage; only its built files go into the image.
FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MINYI_DATA_DIR=/data
WORKDIR /app

# CJK glyphs for the chart in the quarterly 通报 (scoring draws it with matplotlib), and
# the PostgreSQL client of compose's server major (16) for `tools/backup.py`: pg_dump
# refuses a newer server than itself, and Debian bookworm ships 15. postgresql-common
# carries the PostgreSQL project's own apt repository setup and its signing key.
ARG POSTGRES_MAJOR=16
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends postgresql-client-${POSTGRES_MAJOR} \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt

COPY minyi_common ./minyi_common
COPY services ./services
COPY gateway ./gateway
COPY tools/backup.py ./tools/backup.py
COPY --from=web /web/dist ./web/dist

RUN useradd --system --home /app minyi && mkdir -p /data && chown minyi /data
USER minyi
VOLUME ["/data"]

ENTRYPOINT ["python", "-m", "minyi_common.serve"]
CMD ["gateway"]
