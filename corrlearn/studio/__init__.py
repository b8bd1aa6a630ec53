"""corrlearn studio: annotate a video in the browser, propagate, review, correct and export its masks.

``project.py`` holds one video's work (annotations, propagated masks, marks, all in the output folder),
``jobs.py`` runs propagation and export on a worker thread with streamed progress, ``grabcut.py`` turns a
box into a proposed mask, ``server.py`` is the local web server, and ``static/`` the page it serves (plain
HTML, JavaScript and CSS: nothing is fetched from the network).
"""

# The default address, here so that `corrlearn studio --help` needs no web framework (flask loads on start).
HOST = "127.0.0.1"
