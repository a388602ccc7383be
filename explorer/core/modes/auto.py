"""auto: pick a read mode from the response's Content-Type (ws:// and wss:// URLs are WebSockets already)."""

from __future__ import annotations

JSON_TYPES = ("application/json", "application/x-ndjson", "application/ndjson", "application/jsonl",
              "application/x-jsonlines", "application/json-seq", "text/json")


def mode_for_content_type(content_type: str) -> str:
    """sse for event streams, json for JSON types, else any."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "text/event-stream":
        return "sse"
    if mime in JSON_TYPES or mime.endswith("+json"):
        return "json"
    return "any"
