"""The cluster fixtures: one Dask LocalCluster per module, one Spark session per run."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# scale_helpers, next to these tests; imported in the fixtures, not here: it skips
# when pandas is absent, and a skip while loading a conftest is an error.
sys.path.insert(0, str(Path(__file__).parent))

try:  # the event side (events/units.py) is being ported to the new events engine
    import salesfunnel.scale.partials  # noqa: F401
except ImportError:  # until then its tests cannot load; the deal tests do not need it
    collect_ignore = ["test_partials.py", "test_dask.py", "test_spark.py"]


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A real LocalCluster: two worker processes, one thread each."""
    from scale_helpers import need

    distributed = need("distributed")
    need("dask.dataframe")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A real local Spark session (``local[2]``) whose Python workers run this Python."""
    from scale_helpers import need, need_java

    need("pyspark")
    need_java()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("salesfunnel-tests")
        .config("spark.sql.shuffle.partitions", "3")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
