"""Strata for Python: read and write Strata hidden-state datasets (spec/FORMAT.md, spec/DATASETS.md).

    import strata
    ds = strata.open("caps/")                      # a dataset directory or one shard file
    x = ds.read(0, layers=[-1], tokens=slice(0, 8))  # float32 [layers, tokens, hidden]
    info = ds.info(0)                              # id, labels, token_ids, text, metadata, auxiliary, shape

    with strata.Writer("out.strata", hidden=576, layers=31, dtype="bf16") as w:
        w.append("review-0", values, token_ids=ids, labels=[1], text="…")

Every checksum is checked before data is used; problems raise ``strata.StrataError`` naming the file,
record, block and offset. Files written here are byte-identical to the Swift writer's for the same
inputs and options, and survive a killed writer as the Swift writer's do (``strata recover``).
"""
from .checksum import crc32c
from .dataset import Dataset, open
from .dataset_writer import DatasetWriter
from .errors import StrataError
from .merge import merge
from .record import Record, RecordInfo
from .shard import Shard
from .writer import Writer

__version__ = "0.1.0"

__all__ = ["open", "Dataset", "Shard", "Record", "RecordInfo", "Writer", "DatasetWriter", "merge", "StrataError",
           "crc32c", "__version__"]
