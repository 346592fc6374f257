"""A vector column: pgvector's `vector(n)` on PostgreSQL, a float32 BLOB on SQLite."""

import numpy as np
from django.db import models


class VectorField(models.Field):
    description = "An embedding vector"

    def __init__(self, *args, dimensions: int = 384, **kwargs):
        self.dimensions = dimensions
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["dimensions"] = self.dimensions
        return name, path, args, kwargs

    def db_type(self, connection):
        return f"vector({self.dimensions})" if connection.vendor == "postgresql" else "blob"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        array = np.asarray(value, dtype="<f4")
        if array.shape != (self.dimensions,):
            raise ValueError(f"a vector of {array.size} values, not {self.dimensions}")
        if connection.vendor == "postgresql":
            return "[" + ",".join(repr(float(x)) for x in array) + "]"  # pgvector's text input
        return array.tobytes()

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or isinstance(value, np.ndarray):
            return value
        if isinstance(value, str):
            return np.array(value.strip("[]").split(","), dtype=np.float32)
        return np.frombuffer(bytes(value), dtype="<f4")
