"""Tests of clients/generate.py without a server: what it makes of small documents, the
defects of a document it refuses, and that the committed Python module's types resolve.

    python3 -m unittest discover -s clients/tests
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import typing
import unittest
from pathlib import Path

CLIENTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CLIENTS))
sys.path.insert(0, str(CLIENTS / "python"))

import generate  # noqa: E402

DOC = {
    "openapi": "3.1.0",
    "info": {"title": "Test API", "version": "1.2.3"},
    "paths": {
        "/api/v1/things": {
            "get": {
                "operationId": "list_things",
                "summary": "List things.",
                "parameters": [
                    {"name": "from", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page_Thing"}}}}},
            },
            "post": {
                "operationId": "create_thing",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingInput"}}}},
                "responses": {"201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}},
            },
        },
        "/api/v1/things/{id}": {
            "delete": {
                "operationId": "delete_thing",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"$ref": "#/components/schemas/ThingId"}}],
                "responses": {"204": {"description": "gone"}},
            },
        },
    },
    "components": {
        "schemas": {
            "ThingId": {"type": "string", "format": "uuid"},
            "Kind": {"type": "string", "enum": ["pump", "motor"]},
            "Thing": {
                "type": "object",
                "required": ["id", "kind"],
                "properties": {
                    "id": {"$ref": "#/components/schemas/ThingId"},
                    "kind": {"$ref": "#/components/schemas/Kind"},
                    "label": {"type": ["string", "null"], "description": "Shown to people."},
                    "from": {"type": "integer"},
                },
            },
            "ThingInput": {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"$ref": "#/components/schemas/Kind"}, "label": {"type": ["string", "null"]}},
            },
            "Page_Thing": {
                "type": "object",
                "required": ["items", "total"],
                "properties": {
                    "items": {"type": "array", "items": {
                        "type": "object",
                        "required": ["id", "kind"],
                        "properties": {
                            "id": {"$ref": "#/components/schemas/ThingId"},
                            "kind": {"$ref": "#/components/schemas/Kind"},
                            "label": {"type": ["string", "null"]},
                            "from": {"type": "integer"},
                        },
                    }},
                    "total": {"type": "integer"},
                },
            },
        }
    },
}


def load_module(name: str, text: str):
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(text, name, "exec", dont_inherit=True), module.__dict__)  # noqa: S102 - the generator's own output
    sys.modules[name] = module
    return module


class GeneratesFromADocument(unittest.TestCase):
    def setUp(self):
        files = generate.generate(copy.deepcopy(DOC))
        self.py = files[generate.PY_OUT]
        self.ts = files[generate.TS_OUT]

    def test_python_methods_send_the_documented_requests(self):
        module = load_module("generated_fixture", self.py)
        sent = []

        class Fake(module.GeneratedApi):
            def _call(self, method, path, *, query=None, body=None, body_kind="json", content_type=""):
                sent.append((method, path, query, body))

        api = Fake()
        api.list_things(from_="2024-01-01", page=2)
        api.create_thing({"kind": "pump"})
        api.delete_thing("a/b")
        self.assertEqual(sent, [
            ("GET", "/api/v1/things", {"from": "2024-01-01", "page": 2}, None),
            ("POST", "/api/v1/things", None, {"kind": "pump"}),
            ("DELETE", "/api/v1/things/a%2Fb", None, None),
        ])
        hints = typing.get_type_hints(module.Thing)
        self.assertEqual(hints["kind"], typing.Literal["pump", "motor"])
        self.assertEqual(module.Thing.__required_keys__, frozenset({"id", "kind"}))
        self.assertEqual(module.ThingInput.__optional_keys__, frozenset({"label"}))
        # The inline copy of Thing in the page is Thing itself.
        self.assertEqual(typing.get_type_hints(module.Page_Thing)["items"], typing.List[module.Thing])

    def test_typescript_types_and_methods(self):
        self.assertIn("export interface Thing {", self.ts)
        self.assertIn("  label?: string | null;", self.ts)
        self.assertIn('export type Kind = "pump" | "motor";', self.ts)
        self.assertIn("  items: Thing[];", self.ts)
        self.assertIn("  listThings(query: ListThingsQuery = {}): Promise<Page_Thing> {", self.ts)
        self.assertIn("  deleteThing(id: ThingId): Promise<void> {", self.ts)
        self.assertIn("${encodeURIComponent(String(id))}", self.ts)

    def test_an_inline_object_never_takes_a_components_name(self):
        doc = copy.deepcopy(DOC)
        schemas = doc["components"]["schemas"]
        schemas["ThingStatus"] = {"type": "object", "required": ["code"], "properties": {"code": {"type": "integer"}}}
        schemas["Thing"]["properties"]["status"] = {"type": "object", "required": ["online"],
                                                    "properties": {"online": {"type": "boolean"}}}
        module = load_module("generated_inline", generate.generate(doc)[generate.PY_OUT])
        status = typing.get_type_hints(module.Thing)["status"]
        self.assertEqual(status.__name__, "ThingStatus2")
        self.assertEqual(typing.get_type_hints(status), {"online": bool})
        self.assertEqual(typing.get_type_hints(module.ThingStatus), {"code": int})

    def test_output_is_stable(self):
        again = generate.generate(copy.deepcopy(DOC))
        self.assertEqual(again[generate.PY_OUT], self.py)
        self.assertEqual(again[generate.TS_OUT], self.ts)


class RefusesDefects(unittest.TestCase):
    def refuses(self, change, message):
        doc = copy.deepcopy(DOC)
        change(doc)
        with self.assertRaisesRegex(generate.SpecError, message):
            generate.generate(doc)

    def test_a_missing_operation_id(self):
        self.refuses(lambda d: d["paths"]["/api/v1/things"]["get"].pop("operationId"), "no operationId")

    def test_a_query_parameter_documented_in_the_path(self):
        def change(d):
            d["paths"]["/api/v1/things"]["get"]["parameters"][1]["in"] = "path"
        self.refuses(change, "path parameters")

    def test_a_dangling_reference(self):
        self.refuses(lambda d: d["components"]["schemas"].pop("Kind"), "dangling reference")

    def test_an_operation_id_used_twice(self):
        def change(d):
            d["paths"]["/api/v1/things"]["post"]["operationId"] = "list_things"
        self.refuses(change, "used twice")

    def test_an_operation_id_the_core_uses(self):
        def change(d):
            d["paths"]["/api/v1/things"]["post"]["operationId"] = "authenticate"
        self.refuses(change, "cores use")


class CommittedPythonModule(unittest.TestCase):
    def test_every_type_resolves(self):
        from ironloom_client import _generated as g

        checked = 0
        for name in dir(g):
            obj = getattr(g, name)
            if isinstance(obj, type) and issubclass(obj, dict) and obj.__module__ == g.__name__:
                typing.get_type_hints(obj, include_extras=True)
                checked += 1
        # Optional fields are optional (also when inherited, as in allOf).
        self.assertIn("generated_password", g.UserCreated.__optional_keys__)
        self.assertIn("email", g.UserCreated.__optional_keys__)
        self.assertIn("id", g.UserCreated.__required_keys__)
        self.assertGreater(checked, 100)
        for name, (method, path) in g.OPERATIONS.items():
            self.assertTrue(callable(getattr(g.GeneratedApi, name)), name)
            typing.get_type_hints(getattr(g.GeneratedApi, name), vars(g))


if __name__ == "__main__":
    unittest.main()
