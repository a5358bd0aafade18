"""Inputs: what to scan."""
from apkscan.inputs.discover import Candidate, discover, looks_like_apk

__all__ = ["Candidate", "discover", "looks_like_apk"]
