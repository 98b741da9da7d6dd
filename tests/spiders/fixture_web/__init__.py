"""A small web of medtech news sites, with every bad case a crawler meets, served on loopback.

See ``server.py`` for the routes and ``serve_fixture_web`` for how tests start it.
"""
