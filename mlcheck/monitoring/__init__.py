"""Monitoring over time: runs as a series (:mod:`.series`), anomalies and breakouts (:mod:`.detectors`).

The folder is ``monitoring/``, not ``monitor/``: a subpackage named ``monitor``
would shadow the public function ``mc.monitor`` once imported (as ``profiling/``
does not shadow ``mc.profile``).
"""
