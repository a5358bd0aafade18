"""The ZIP layer: the central directory as Android reads it, tamper anomalies, limits, and one
streaming pass over the file. See docs/ARCHITECTURE.md "archive/"."""
from apkscan.archive.anomalies import ANOMALY_IDS, Anomaly
from apkscan.archive.archive import Archive, open_archive
from apkscan.archive.entry import Entry
from apkscan.archive.errors import ERROR_CODES, ArchiveError
from apkscan.archive.limits import Limits

__all__ = ["open_archive", "Archive", "Entry", "Anomaly", "Limits", "ArchiveError", "ANOMALY_IDS", "ERROR_CODES"]
