"""Wires the search graph: begin -> understand -> plan -> tools (Send) -> assess ->
compose -> rank -> explore -> suggest -> write -> finish; each node runs under its own
span (`run_tool` under its tool call's)."""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.deps import Deps
from agent.nodes.assess import assess_node
from agent.nodes.compose import compose_node
from agent.nodes.explore import explore_node
from agent.nodes.finish import finish_node, suggest_node
from agent.nodes.image import ImageTask, similar_node
from agent.nodes.plan import plan_node
from agent.nodes.rank import rank_node
from agent.nodes.tools import fan_out, run_tool_node
from agent.nodes.understand import begin_node, understand_node
from agent.nodes.write import write_node
from agent.spans import traced_node
from agent.state import InputState, State, ToolTask


def build_graph(
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[State, Deps, InputState, State]:
    """Compile the graph; pass a checkpointer to keep conversations across turns."""
    builder = StateGraph(State, context_schema=Deps, input_schema=InputState)
    for name, node in (
        ("begin", begin_node),
        ("understand", understand_node),
        ("plan", plan_node),
        ("assess", assess_node),
        ("compose", compose_node),
        ("rank", rank_node),
        ("explore", explore_node),
        ("suggest", suggest_node),
        ("write", write_node),
        ("finish", finish_node),
    ):
        builder.add_node(name, traced_node(name, node))
    similar = traced_node("similar_images", similar_node)
    builder.add_node("run_tool", run_tool_node, input_schema=ToolTask)  # type: ignore[arg-type]
    builder.add_node("similar_images", similar, input_schema=ImageTask)  # type: ignore[arg-type]
    builder.add_edge(START, "begin")
    builder.add_edge("begin", "understand")
    builder.add_edge("understand", "plan")
    builder.add_conditional_edges("plan", fan_out, ["run_tool", "similar_images", "compose"])
    builder.add_edge("run_tool", "assess")
    builder.add_edge("similar_images", "assess")
    builder.add_edge("assess", "compose")
    builder.add_edge("compose", "rank")
    builder.add_edge("rank", "explore")
    builder.add_edge("explore", "suggest")
    builder.add_edge("suggest", "write")
    builder.add_edge("write", "finish")
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer)
