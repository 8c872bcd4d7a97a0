"""mlcheck's pytest plugin: notebooks as test items (:mod:`.plugin`), its settings and its run store."""
