"""The package layout: `platform/` is imported as `jifen` and never shadows the stdlib."""

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_no_init_in_platform_folder():
    # An __init__.py there would shadow the standard library's `platform` module.
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_works_from_the_repo_root():
    out = subprocess.run(
        [sys.executable, "-c", "import platform, jifen.app; print(platform.system())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "Linux"


def test_jifen_is_the_platform_folder():
    import jifen.app

    assert Path(jifen.app.__file__).parent == ROOT / "platform"


def test_wheel_contains_migrations_templates_and_themes(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "instance",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".pytest_cache",
            ".ruff_cache",
            ".mypy_cache",
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=source,
        capture_output=True,
        check=True,
    )
    (wheel,) = tmp_path.glob("jifen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "jifen/app.py",
        "jifen/migrations/env.py",
        "jifen/migrations/script.py.mako",
        "jifen/migrations/versions/0001_foundation.py",
        "jifen/templates/console/login.html",
        "jifen/api/static/swagger-ui/swagger-ui-bundle.js",
        "jifen/py.typed",
        "jifen/translations/zh_Hans_CN/LC_MESSAGES/messages.mo",
        "jifen/translations/en/LC_MESSAGES/messages.mo",
        "jifen/testing/servers.py",
        "jifen/testing/pytest_plugin.py",
        "jifen_plugins/themes.py",
        "jifen_themes/base/theme.toml",
        "jifen_themes/base/templates/home.html",
        "jifen_themes/base/static/mall.css",
    }
    assert expected <= names
    assert not any(n.startswith(("platform/", "tests/", "bench/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[jifen]" in text and "jifen_plugins.themes" in text
    assert "[pytest11]" in text and "jifen = jifen.testing.pytest_plugin" in text


def test_the_testing_plugin_is_loaded_once_through_its_entry_point(pytestconfig):
    import jifen.testing.pytest_plugin

    manager = pytestconfig.pluginmanager
    assert manager.get_plugin("jifen") is jifen.testing.pytest_plugin
    assert manager.get_name(jifen.testing.pytest_plugin) == "jifen"
    assert [p for p in manager.get_plugins() if p is jifen.testing.pytest_plugin] == [
        jifen.testing.pytest_plugin
    ]


def test_the_product_never_imports_the_testing_package():
    product = [
        path
        for folder in ("platform", "plugins", "themes")
        for path in (ROOT / folder).rglob("*.py")
        if "testing" not in path.relative_to(ROOT).parts
    ]
    assert product
    offenders = [
        str(path.relative_to(ROOT))
        for path in product
        if "jifen.testing" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_every_module_of_jifen_is_in_a_layer():
    """The layers contract names jifen's modules in full (import-linter cannot expand
    `jifen` itself), so a new module must be placed in a layer by hand."""
    with (ROOT / "pyproject.toml").open("rb") as config:
        contracts = tomllib.load(config)["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["id"] == "layers"]
    placed = {name.strip() for layer in layers for name in re.split(r"[:|]", layer)}
    modules = {
        f"jifen.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "platform").iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    assert modules == placed


def test_every_domain_is_used_through_its_public_module():
    """Each domain's modules are protected: only the domain and the layers above the
    domains import them, everything else imports the domain's package."""
    with (ROOT / "pyproject.toml").open("rb") as config:
        contracts = tomllib.load(config)["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["id"] == "layers"]
    (domain_layers,) = [c["layers"] for c in contracts if c["id"] == "domains"]
    domains = {name.strip() for layer in domain_layers for name in re.split(r"[:|]", layer)}
    (domains_layer,) = [i for i, layer in enumerate(layers) if "jifen.ledger" in layer]
    above = {name.strip() for layer in layers[:domains_layer] for name in layer.split(":")}
    protected = {
        tuple(c["protected_modules"]): set(c["allowed_importers"])
        for c in contracts
        if c["type"] == "protected"
    }
    assert protected == {(f"{domain}.*",): {domain} | above for domain in domains}
