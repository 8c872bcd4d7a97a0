"""Monitoring over time: runs as a series, anomalies and breakouts, alerts.

:mod:`.detectors` is pure computation on arrays; the rest reads run directories.
"""
