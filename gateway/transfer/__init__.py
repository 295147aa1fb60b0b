"""A merchant's whole state as one JSON document: export (streamed out) and import (streamed in,
into a fresh merchant), so that a bug report or a fixture travels as a file. No Flask here."""
