"""The API's blueprint class, whose request parser reads every unreadable body as a 400
and refuses query parameters the route does not take.

webargs turns only `JSONDecodeError` into its 400; a number longer than Python's
int-conversion limit raises a plain ValueError, and deep nesting a RecursionError, which
would otherwise surface as 500s. webargs also drops unknown query parameters by default:
a misspelt filter (`?memberid=`) would answer the unfiltered list as if it were the
filtered one, so it is a 422 naming the parameter, as an unknown body field is.
"""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser


class JsonParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as error:
            # A non-empty `doc`: webargs reads an empty one as "no body at all".
            raise json.JSONDecodeError(type(error).__name__, "<unreadable>", 0) from None


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JsonParser()
