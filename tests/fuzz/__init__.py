"""Property-based fuzzing of the emulated APIs and the control API (issue 11).

``calls`` describes a request as drawn (pure data) and turns it into bytes on the wire,
``strategies`` draws them from the operations' own schemas, ``world`` makes the merchants and
objects they name, ``transports`` sends them in process or to a real server, ``oracle`` judges
each answer, ``tally`` counts, and ``explore`` runs hypothesis over all of it. The suite runs it
briefly (``test_fuzz.py``); ``python -m bench.fuzz`` runs it for as long as you like.
"""
