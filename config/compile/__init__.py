"""Compiling a valid pack into an immutable ``CompiledPack``."""
