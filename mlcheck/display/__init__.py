"""Display of results: what a card shows of a record, the SVG plots and the ipywidgets explorers.

A check's record keeps everything it computed (:mod:`mlcheck.results`); this
layer decides what a person sees of it. :mod:`~mlcheck.display.cards` makes the
bounded view a card is drawn from (the part of a result a notebook saves) and
the shared frame; the card bodies live here too, one module per family
(:mod:`~mlcheck.display.shift`, :mod:`~mlcheck.display.schema`,
:mod:`~mlcheck.display.models`); :mod:`~mlcheck.display.svg` is the one
histogram renderer; :mod:`~mlcheck.display.explore` the interactive views.
"""
