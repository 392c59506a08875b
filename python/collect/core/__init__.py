"""What the data importers and the collector share: a study's design and the answer parser.

Layers, lowest first: collect.errors, collect.paths, collect.vocab; collect.core; collect.data;
collect.collector; collect.similarity; the command line. A layer imports only from layers below
it (tests/test_layers.py checks this).
"""
