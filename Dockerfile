# One image for every Minyi service: `docker run IMAGE intake` (or review, scoring, notify, gateway).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MINYI_DATA_DIR=/data
WORKDIR /app

COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt

COPY minyi_common ./minyi_common
COPY services ./services
COPY gateway ./gateway

RUN useradd --system --home /app minyi && mkdir -p /data && chown minyi /data
USER minyi
VOLUME ["/data"]

ENTRYPOINT ["python", "-m", "minyi_common.serve"]
CMD ["gateway"]
