"""Reporters: one module per output format. Each takes a ScanResult and a
writable text stream; none knows how findings were made."""

FORMATS = ("text", "json")


def get(name: str):
    if name == "json":
        from . import json_report

        return json_report.write
    from . import text

    return text.write
