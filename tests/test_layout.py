"""The package layout: `platform/` is imported as `jifen` and never shadows the stdlib."""

import shutil
import subprocess
import sys
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
        "jifen_plugins/base_theme.py",
        "jifen_themes/base/theme.toml",
        "jifen_themes/base/templates/home.html",
        "jifen_themes/base/static/mall.css",
    }
    assert expected <= names
    assert not any(n.startswith(("platform/", "tests/", "bench/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[jifen]" in text and "jifen_plugins.base_theme" in text
