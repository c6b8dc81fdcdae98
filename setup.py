"""Packages and package data for setuptools (metadata lives in pyproject.toml).

The project's packages are found by name (tests never ship). The top-level ``assets/`` folder goes into the wheel
as the package ``lapas_assets`` (each sub-folder a data-only package), with the fonts, compiled catalogs, images,
sounds and demo reference data; ``core.resources`` finds it there or in the source tree.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

PARTS = ("core", "lapas", "kiosk", "hardware", "sync", "hq")
CODE_DATA = ["*.kv", "*.html", "*.sql", "*.mako", "*.ini"]  # kv rules, HQ templates, migration scripts
ASSET_DATA = ["*.ttf", "*.otf", "OFL.txt", "*.png", "*.jpg", "*.svg", "*.mo", "*.json", "*.wav", "*.ogg"]

code = find_namespace_packages(include=[f"{p}*" for p in PARTS], exclude=["*__pycache__*"])
assets_root = Path(__file__).resolve().parent / "assets"
assets = ["lapas_assets"] + sorted(
    "lapas_assets." + ".".join(d.relative_to(assets_root).parts)
    for d in assets_root.rglob("*") if d.is_dir() and d.name != "__pycache__")

setup(
    packages=[*code, *assets],
    package_dir={"lapas_assets": "assets"},
    package_data={"": CODE_DATA, **{name: ASSET_DATA for name in assets}},
)
