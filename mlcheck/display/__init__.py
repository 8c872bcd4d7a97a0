"""Display of results: card bodies (HTML and text), SVG plots and the ipywidgets explorers."""
