"""Planning: rule planner, LLM planner, draft plan types, grounding against the catalog."""
