"""Graph nodes, one role per module; `agent/graph.py` wires them."""
