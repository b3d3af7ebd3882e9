"""The house rules of docs/architecture.md, checked on the source: which room may import which.

Reads every module's imports with `ast` (also the ones inside functions), so a rule broken anywhere
in a module fails here with the module, the line and the rule."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "webhooks", "nlu", "content")

CORE = {"bot.settings", "bot.db", "bot.models", "bot.phones", "bot.orgs", "bot.messages", "bot.services",
        "bot.health"}
ENTRY = {"bot.cli", "bot.tasks", "bot.worker"}  # processes' entry points: may use every room


def room(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "bot":
        return parts[0]
    if len(parts) > 1 and parts[1] in ("line", "desk", "broadcasts"):
        return "bot." + parts[1]
    if module.startswith("bot.providers.twilio"):
        return "bot.providers.twilio"
    if module.startswith("bot.providers"):
        return "bot.providers"
    for name in CORE | ENTRY:
        if module == name or module.startswith(name + "."):
            return "entry" if name in ENTRY else "core"
    return "core" if module == "bot" else module


# room -> the rooms it may import (its own room always). Third-party packages are not listed, except
# flask: the only package that knows Flask is webhooks/.
MAY_IMPORT = {
    "content": {"content"},
    "nlu": {"nlu", "content"},
    "core": {"core", "bot.providers", "nlu", "content"},
    "bot.providers": {"core", "bot.providers.twilio", "content"},
    "bot.providers.twilio": {"core", "bot.providers", "content"},
    "bot.broadcasts": {"core", "bot.providers", "nlu", "content"},
    "bot.line": {"core", "bot.providers", "bot.broadcasts", "nlu", "content"},
    "bot.desk": {"core", "bot.providers", "bot.line", "bot.broadcasts", "nlu", "content"},
    "entry": {"core", "entry", "bot.providers", "bot.line", "bot.desk", "bot.broadcasts", "nlu", "content"},
    "webhooks": {"webhooks", "core", "entry", "bot.providers", "bot.line", "bot.desk", "bot.broadcasts", "nlu",
                 "content", "flask"},
}
# Only these webhooks modules speak a provider's own format (the Twilio blueprint and its signature).
PROVIDER_DOORS = {"webhooks.twilio", "webhooks.signature"}


def modules(root: Path = ROOT):
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "translations" in path.parts:
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            yield (name[: -len(".__init__")] if name.endswith(".__init__") else name), path


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in ("bot", "bot.providers", "bot.cli"):  # `from bot import line` names a module
                for alias in node.names:
                    yield node.lineno, f"{node.module}.{alias.name}"
            else:
                yield node.lineno, node.module


def ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES + ("flask", "twilio")


def broken_rules(root: Path = ROOT):
    found = []
    for module, path in modules(root):
        source = "webhooks" if module.startswith("webhooks") else room(module)
        allowed = MAY_IMPORT[source] | {source}
        for line, name in imports(path):
            if not ours(name):
                continue
            top = name.split(".")[0]
            # twilio-python is the provider's own library: it counts as the provider room
            target = top if top == "flask" else "bot.providers.twilio" if top == "twilio" else room(name)
            if target == "bot.providers.twilio" and source == "webhooks" and module not in PROVIDER_DOORS:
                found.append(f"{path.relative_to(root)}:{line} imports {name}: only {sorted(PROVIDER_DOORS)} "
                             "speak the provider's format")
            elif target not in allowed and not (target == "bot.providers.twilio" and source == "webhooks"):
                found.append(f"{path.relative_to(root)}:{line} ({source}) imports {name} ({target})")
    return found


def test_every_room_imports_only_what_it_may():
    assert broken_rules() == []


@pytest.mark.parametrize("source,target", [("bot.line.engine", "bot.desk.inbox"),
                                           ("bot.broadcasts.sending", "bot.providers.twilio.sender"),
                                           ("bot.desk.simulator", "twilio"),
                                           ("nlu.client", "bot.line.engine"), ("bot.desk.roster", "flask"),
                                           ("content.catalog", "bot.models")])
def test_the_rules_catch_a_wrong_import(source, target, tmp_path):
    # The check itself can fail: a module that makes one of these imports is reported.
    package, _, name = source.rpartition(".")
    probe = tmp_path.joinpath(*package.split("."), f"{name}.py")
    probe.parent.mkdir(parents=True)
    probe.write_text(f"def later():\n    import {target}\n")  # also inside a function
    [found] = broken_rules(tmp_path)
    assert source.replace(".", "/") in found and target in found


def test_each_room_says_what_it_holds_and_who_may_import_it():
    for package in ("bot/line", "bot/desk", "bot/broadcasts", "bot/providers"):
        doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or ""
        assert "import" in doc.lower() and len(doc) > 200, package
