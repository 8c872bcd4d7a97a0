"""Mergeable data profiles: the model (:mod:`.model`) and frames or files to profiles (:mod:`.frames`)."""
