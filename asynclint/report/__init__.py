"""Reporters: one module per output format. Each is ``write(result, stream,
**options)`` over a ScanResult; none knows how findings were made."""

import importlib

FORMATS = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
}


def get(name: str):
    return importlib.import_module(f"{__name__}.{FORMATS[name]}").write
