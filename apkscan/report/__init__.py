"""Report formats: one file per format, all rendering model.ScanResult objects.

    from apkscan.report import ReportMeta, get_format
    fmt = get_format("json")(out, meta)   # out: a text stream
    fmt.start(); fmt.add(result) ...; fmt.finish()
"""
from apkscan.report.base import ReportFormat, ReportMeta, available_formats, format_names, get_format, render, summarize, write_report

__all__ = ["ReportFormat", "ReportMeta", "available_formats", "format_names", "get_format", "render", "summarize", "write_report"]
