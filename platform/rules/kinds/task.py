"""`task`: a task the member completed, named by the merchant (the task rule pays it)."""

from __future__ import annotations

from marshmallow import Schema

from jifen.rules.kinds.base import Kind
from jifen.types import Text


class TaskData(Schema):
    task = Text(max_length=64, min_length=1, required=True)


class Task(Kind):
    schema = TaskData()
