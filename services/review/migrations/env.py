from minyi_common.migrate import run_env
from services.review.adapters.orm import metadata

run_env(metadata)
