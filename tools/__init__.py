"""Tessera's verticals and their backends: catalog schema, index, embeddings, tools."""
