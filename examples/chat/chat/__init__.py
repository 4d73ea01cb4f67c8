"""The chat example: one WebSocket group per room, senders named by their HTTP session."""
