"""The engine behind build.py: render Jinja-templated Marp slides, run their snippets, verify, publish."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
