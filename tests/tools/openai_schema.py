#!/usr/bin/env python3
"""Validate JSON files against OpenAI's chat-completions schemas.

    openai_schema.py validate-request FILE...    against CreateChatCompletionRequest
    openai_schema.py validate-response FILE...   against CreateChatCompletionResponse

The schemas come from tests/fixtures/openai/chat-completions-schemas.json (official OpenAI
OpenAPI description, see its README.md); --schema FILE names another copy. Validation uses
JSON Schema draft 2020-12 with "$ref"s ("#/components/schemas/...") resolved inside that file.
Exit status: 0 when every file is valid, 1 otherwise (one message per error on stderr), 2 on a
usage error.

Also importable: load_validator(kind, schema_path) and errors(validator, instance).
"""

import argparse
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "..", "fixtures", "openai", "chat-completions-schemas.json")

KINDS = {
    "request": "CreateChatCompletionRequest",
    "response": "CreateChatCompletionResponse",
}


def load_validator(kind, schema_path=DEFAULT_SCHEMA):
    """A Draft 2020-12 validator for KINDS[kind] whose $refs resolve inside the schema file."""
    with open(schema_path, encoding="utf-8") as f:
        doc = json.load(f)
    name = KINDS[kind]
    if name not in doc.get("components", {}).get("schemas", {}):
        raise KeyError("%s has no components.schemas.%s" % (schema_path, name))
    # The whole file is the root document ("#/components/..." resolves against it); the root
    # schema is only a reference to the one we want. Unknown members (openapi_source,
    # components) are ignored by the validator.
    root = dict(doc)
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    root["$ref"] = "#/components/schemas/" + name
    cls = jsonschema.Draft202012Validator
    cls.check_schema(root)
    resolver = jsonschema.RefResolver.from_schema(root, id_of=lambda s: "")
    return cls(root, resolver=resolver)


def _path(error):
    out = ""
    for p in error.absolute_path:
        out += "[%d]" % p if isinstance(p, int) else ("." if out else "") + str(p)
    return out or "(the document)"


def _is_discriminator(error):
    path = list(error.absolute_path)
    return bool(path) and path[-1] in ("role", "type") and error.validator in ("enum", "const")


def _leaf(error):
    """The most telling error inside a oneOf/anyOf: the alternative whose "role"/"type" matched
    (an error there only says that the alternative did not apply), else the one that got
    deepest; then, recursively, its most telling error."""
    if not error.context:
        return error
    branches = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def rank(errs):
        return (not any(_is_discriminator(e) for e in errs),
                max(len(list(e.absolute_path)) for e in errs))

    best = max(branches.values(), key=rank)
    return max((_leaf(e) for e in best), key=lambda e: len(list(e.absolute_path)))


def errors(validator, instance):
    """Messages for every validation error of instance ([] when valid)."""
    out = []
    for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        leaf = _leaf(e)
        msg = "%s: %s" % (_path(e), e.message if len(e.message) < 300 else e.message[:300] + "...")
        if leaf is not e:
            msg += " (in detail: %s: %s)" % (_path(leaf), leaf.message[:300])
        out.append(msg)
    return out


def main(argv):
    ap = argparse.ArgumentParser(description="Validate JSON files against OpenAI's "
                                 "chat-completions request/response schemas.")
    ap.add_argument("command", choices=["validate-request", "validate-response"])
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument("--schema", default=DEFAULT_SCHEMA, help="chat-completions-schemas.json")
    args = ap.parse_args(argv)
    validator = load_validator(args.command.split("-")[1], args.schema)
    bad = 0
    for path in args.files:
        try:
            with open(path, encoding="utf-8") as f:
                instance = json.load(f)
        except (OSError, ValueError) as e:
            print("%s: cannot read JSON: %s" % (path, e), file=sys.stderr)
            bad += 1
            continue
        errs = errors(validator, instance)
        for m in errs:
            print("%s: %s" % (path, m), file=sys.stderr)
        bad += bool(errs)
    if bad:
        print("%d of %d file(s) invalid" % (bad, len(args.files)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
