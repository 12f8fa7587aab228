from typing import Any, Optional, Sequence, Union

from . import Pipeline, Result

def mergeable(pipeline: Union[str, Pipeline]) -> bool: ...
def run(spark: Any, pipeline: Union[str, Pipeline], paths: Optional[Sequence[str]] = None, *,
        glob: Union[None, str, Sequence[str]] = None, partitions: Optional[int] = None,
        executors_open_paths: Optional[bool] = None,
        split_bytes: Optional[int] = 1024 * 1024 * 1024, index_dir: Optional[str] = None,
        text: str = "str", route: str = "pipe",
        strict: bool = False, state_limit: Optional[int] = None,
        max_line_bytes: Optional[int] = None) -> Union[Result, Any]:
    """A :class:`logrill.Result` for a pipeline that gathers one answer (aggregates,
    tables, sort), else a ``pyspark.sql.DataFrame`` of the records."""
    ...
