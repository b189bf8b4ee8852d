"""Tracing settings, a section of `Settings`: the OpenTelemetry spec's own variables.

`OTEL_*` names are read as the specification spells them (no `TESSERA_` prefix); the
exporter reads the rest of them itself. `Settings` inherits these fields and is still
the one object read from the environment.
"""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, Field


class TracingFields(BaseModel):
    """Whether and where spans are exported, and whether they may carry text."""

    trace_content: bool = Field(
        default=False,
        description="Put prompt and completion text (and the request's words) on exported "
        "spans; off by default, so traces carry counts and ids, not what people typed.",
    )
    otel_disabled: bool = Field(
        default=False,
        validation_alias="OTEL_SDK_DISABLED",
        description="The OpenTelemetry spec's switch: true exports nothing.",
    )
    otel_exporters: str | None = Field(
        default=None,
        validation_alias="OTEL_TRACES_EXPORTER",
        description="otlp, console or none (comma-separated); unset means otlp when an OTLP "
        "endpoint is set, else nothing is exported.",
    )
    otel_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
        description="Where OTLP traces go; the exporter reads it (and the other OTEL_* "
        "variables) itself, Tessera only asks whether it is set.",
    )
    otel_protocol: str = Field(
        default="http/protobuf",
        validation_alias=AliasChoices(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"
        ),
        description="OTLP transport: http/protobuf (the spec's default) or grpc.",
    )
