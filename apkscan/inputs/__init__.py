"""Inputs: what to scan, and how to lay it out for the scanner."""
from apkscan.inputs.discover import Candidate, classify_zip, discover, looks_like_apk

__all__ = ["Candidate", "classify_zip", "discover", "looks_like_apk"]
