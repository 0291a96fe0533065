"""The API's blueprint class, whose request parser reads every unreadable body as a 400
and refuses query parameters the route does not take, and whose operations that take a
body document the 413 of one over the size limit.

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

from jifen.web import MAX_BODY_BYTES

# The OpenAPI response of every operation that takes a body (components/responses,
# registered in jifen.api.setup under this name).
PAYLOAD_TOO_LARGE = "PayloadTooLarge"
PAYLOAD_TOO_LARGE_DOC = {
    "description": f"The body is larger than {MAX_BODY_BYTES} bytes (code"
    " `payload_too_large`); it was not read, and nothing changed.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_body_limit_doc)

    @staticmethod
    def _prepare_body_limit_doc(doc: dict[str, Any], _info: Any, **_: Any) -> dict[str, Any]:
        """Any body may be too large, whatever its schema: the operations that take one
        document the 413, as `arguments` documents the 422 of a body its schema refuses."""
        if "requestBody" in doc:
            doc.setdefault("responses", {})["413"] = PAYLOAD_TOO_LARGE
        return doc
