"""Stores each asset partition's output as gzip JSON under the data directory.

``<data_dir>/assets/<asset>/<source>/<day>.json.gz``: one file per partition, rewritten
whole by each materialization, so re-running a partition replaces its output rather than
adding to it. Values are (lists of) pydantic models, (de)serialised by their annotated type.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

from dagster import ConfigurableIOManager, InputContext, OutputContext
from pydantic import TypeAdapter


def partition_file(root: Path, asset: str, source_id: str, day: str) -> Path:
    """Where the manager keeps one (source, day) partition of an asset."""
    return (Path(root, asset) / source_id / day).with_suffix(".json.gz")


class JsonPartitionIOManager(ConfigurableIOManager):
    root: str

    def _path(self, context: InputContext | OutputContext) -> Path:
        if context.has_asset_partitions:
            key = context.asset_partition_key
            parts = getattr(key, "keys_by_dimension", None)
            if parts:
                return partition_file(Path(self.root), "/".join(context.asset_key.path), parts["source"], parts["day"])
            return Path(self.root, *context.asset_key.path, str(key)).with_suffix(".json.gz")
        return Path(self.root, *context.asset_key.path).with_suffix(".json.gz")

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        path = self._path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = TypeAdapter(context.dagster_type.typing_type).dump_json(obj)
        partial = path.with_suffix(".partial")
        with gzip.GzipFile(partial, "wb", mtime=0) as stream:
            stream.write(payload)
        os.replace(partial, path)  # readers never see half a file
        context.add_output_metadata({"path": str(path)})

    def load_input(self, context: InputContext) -> Any:
        path = self._path(context)
        with gzip.open(path, "rb") as stream:
            return TypeAdapter(context.dagster_type.typing_type).validate_json(stream.read())
