"""Batch scanning: parallel workers, progress, the case store."""
